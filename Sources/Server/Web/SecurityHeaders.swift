import HTTPTypes
import Hummingbird

/// Headers on every answer: scripts and styles only from this server's own files (never inline,
/// so text from a repository cannot become one), no framing, no sniffing of content types.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            Self.add(to: &response.headers)
            return response
        } catch let error as HTTPError {
            var headers = error.headers
            Self.add(to: &headers)
            throw HTTPError(error.status, headers: headers, message: error.body ?? error.status.reasonPhrase)
        }
    }

    static func add(to headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }
}
