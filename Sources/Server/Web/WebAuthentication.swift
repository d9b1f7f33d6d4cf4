import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Store

/// Who a web request comes from: a person's token (`gitci token create NAME`), presented as
/// `Authorization: Bearer TOKEN` or held in the session cookie the login form sets. Reading needs
/// one only under `gitci serve --auth`; every POST action needs one always, and one that comes
/// with the cookie must also carry the form's CSRF value and come from this site.
struct WebAuthentication: Sendable {
    static let cookieName = "gitci_session"

    let coordinator: CoordinatorStore
    let required: Bool
    /// Signs the CSRF values of this server's run: a form from before a restart asks again.
    private let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }

    struct User: Sendable {
        let name: String
        let token: String
        let fromCookie: Bool
    }

    init(coordinator: CoordinatorStore, required: Bool) {
        self.coordinator = coordinator
        self.required = required
    }

    func user(of request: Request) -> User? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            return authenticate(token).map { User(name: $0, token: token, fromCookie: false) }
        }
        guard let token = Self.cookie(Self.cookieName, in: request) else { return nil }
        return authenticate(token).map { User(name: $0, token: token, fromCookie: true) }
    }

    /// Throws 401 for a read under `--auth` without a valid token (the JSON API, a log's
    /// answers; pages send the browser to sign in instead).
    func checkReadable(_ request: Request) throws {
        if required, user(of: request) == nil {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"gitci\""], message: "a valid token is needed")
        }
    }

    func authenticate(_ token: String) -> String? {
        guard !token.isEmpty, token.utf8.count <= 256 else { return nil }
        return (try? coordinator.authenticate(.user, token)) ?? nil
    }

    /// The value forms of `user` carry: bound to their token and to this server's run.
    func csrf(for user: User) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(user.token.utf8), using: SymmetricKey(data: key))
        return Data(code).prefix(20).map { String(format: "%02x", $0) }.joined()
    }

    /// The user a POST action is done for; throws 401 without a valid token and 403 for a
    /// cookie-borne request without this page's CSRF value or from another site.
    func authorizePost(_ request: Request, form: [String: String]) throws -> User {
        guard let user = user(of: request) else {
            throw HTTPError(.unauthorized, message: "sign in with a token (`gitci token create NAME`) to do this")
        }
        try checkPost(request, by: user, form: form)
        return user
    }

    /// 403 for a POST of `user` that came with the cookie without this page's CSRF value or
    /// from another site; a bearer token's needs neither (no browser sends one by itself).
    func checkPost(_ request: Request, by user: User, form: [String: String]) throws {
        guard user.fromCookie else { return }
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            throw HTTPError(.forbidden, message: "a request from another site was refused")
        }
        if let origin = request.headers[HTTPField.Name("Origin")!],
           origin == "null" || origin.components(separatedBy: "://").last != request.head.authority {
            throw HTTPError(.forbidden, message: "a request from another site was refused")
        }
        guard let presented = form["csrf"], Self.constantTimeEqual(presented, csrf(for: user)) else {
            throw HTTPError(.forbidden, message: "the form was stale or forged; reload the page and try again")
        }
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                    return pair[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// The session cookie: not readable by scripts, never sent along cross-site requests.
    static func sessionCookie(_ token: String, secure: Bool) -> String {
        "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : ""); Max-Age=2592000"
    }

    static let clearedCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// `application/x-www-form-urlencoded` bodies of the UI's forms.
enum FormBody {
    static let largest = 64 << 10

    static func decode(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: largest)
        return parse(String(buffer: buffer))
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let name = parts.first.map(decode) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
