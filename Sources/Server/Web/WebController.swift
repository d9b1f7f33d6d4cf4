import Foundation
import HTTPTypes
import Hummingbird
import Store

/// The web UI: pages rendered on the server from `templates/web/`, each also served as JSON
/// under `/api/v1/`, the static files, sign-in and the POST actions.
struct WebController: Sendable {
    let repositories: ServedRepositories
    let coordinator: CoordinatorStore
    let templates: WebTemplates
    let authentication: WebAuthentication
    /// Tells the hosted workers that a build was queued or cancelled (SIGUSR1 in `gitci serve`).
    let wakeWorkers: @Sendable () -> Void

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/static/:file") { request, context in try staticFile(request, context) }
        router.get("/") { request, _ in
            try page(request, "home") { HomePage(repositories: repositories, coordinator: coordinator) }
        }
        router.get("/api/v1/") { request, _ in
            try readable(request)
            return try ResultsController.json(HomePage(repositories: repositories, coordinator: coordinator))
        }
        router.get("/login") { request, _ in
            templates.page("login", LoginPage(chrome: chrome(request), error: nil, next: Self.localPath(request.uri.queryParameters.get("next"))))
        }
        router.post("/login") { request, _ in try await login(request) }
        addPageRoutes(to: router)
        addActionRoutes(to: router)
        router.post("/logout") { request, _ in
            let form = try await FormBody.decode(request)
            _ = try authentication.authorizePost(request, form: form)
            return Response(status: .seeOther, headers: [.location: "/", .setCookie: WebAuthentication.clearedCookie])
        }
        JobPages(repositories: repositories).addRoutes(to: router, web: self)
    }

    // MARK: - Rendering

    /// A page: the chrome added to `model`, rendered with `template`; an error becomes an HTML
    /// error page with its status; under `--auth`, no token sends the browser to sign in.
    func page<Model>(_ request: Request, _ template: String, status: HTTPResponse.Status = .ok,
                     _ model: () throws -> Model) throws -> Response where Model: ChromedPage {
        let user = authentication.user(of: request)
        if authentication.required, user == nil {
            let next = WebPath.encode(request.uri.path + (request.uri.query.map { "?" + $0 } ?? ""))
            return Response(status: .seeOther, headers: [.location: "/login?next=\(next)"])
        }
        do {
            var value = try model()
            value.chrome = chrome(for: user)
            return templates.page(template, value, status: status)
        } catch let error as HTTPError {
            return errorPage(request, status: error.status, message: error.body ?? error.status.reasonPhrase)
        }
    }

    func errorPage(_ request: Request, status: HTTPResponse.Status, message: String) -> Response {
        templates.page("error", ErrorPage(chrome: chrome(request), status: "\(status.code) \(status.reasonPhrase)", message: message),
                       status: status)
    }

    /// Throws 401 for a JSON read under `--auth` without a valid token.
    func readable(_ request: Request) throws {
        try authentication.checkReadable(request)
    }

    func chrome(_ request: Request) -> WebChrome {
        chrome(for: authentication.user(of: request))
    }

    func chrome(for user: WebAuthentication.User?) -> WebChrome {
        WebChrome(assets: templates.version, user: user?.name, csrf: user.map(authentication.csrf(for:)))
    }

    private func staticFile(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        guard let name = context.parameters.get("file"), let file = templates.staticFiles[name] else {
            throw HTTPError(.notFound)
        }
        if request.headers[.ifNoneMatch] == file.etag {
            return Response(status: .notModified, headers: [.eTag: file.etag])
        }
        return Response(status: .ok, headers: [.contentType: file.contentType, .eTag: file.etag, .cacheControl: "public, max-age=31536000, immutable"],
                        body: .init(byteBuffer: file.body))
    }

    // MARK: - Signing in

    private func login(_ request: Request) async throws -> Response {
        let form = try await FormBody.decode(request)
        let next = Self.localPath(form["next"])
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard authentication.authenticate(token) != nil else {
            return templates.page("login", LoginPage(chrome: chrome(request), error: "That token is not valid (or was revoked).", next: next),
                                  status: .unauthorized)
        }
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        return Response(status: .seeOther, headers: [.location: next ?? "/", .setCookie: WebAuthentication.sessionCookie(token, secure: secure)])
    }

    /// Only a path of this site is a place to go back to after signing in.
    static func localPath(_ value: String?) -> String? {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.contains("\\") else { return nil }
        return value
    }
}

/// A page model the layout's frame is added to.
protocol ChromedPage {
    var chrome: WebChrome? { get set }
}

extension HomePage: ChromedPage {}
extension CommitPage: Encodable {
    func encode(to encoder: any Encoder) throws { try document.encode(to: encoder) }
}

struct LoginPage {
    let chrome: WebChrome
    let error: String?
    let next: String?
}

struct ErrorPage {
    let chrome: WebChrome
    let status: String
    let message: String
}
