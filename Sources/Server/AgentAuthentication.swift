import Hummingbird
import Store

/// Every call of an agent (the agent API, git's smart HTTP) carries `Authorization: Bearer
/// TOKEN`; the answer to a missing, wrong or revoked token is the same 401 with nothing else in it.
struct AgentAuthentication: Sendable {
    let coordinator: CoordinatorStore

    /// The name of the agent token the request carries; throws 401 otherwise.
    func agentName(of request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw Self.unauthorized }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 256, let name = try? coordinator.authenticateAgent(token) else {
            throw Self.unauthorized
        }
        return name
    }

    static var unauthorized: HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"gitci\""], message: "a valid agent token is needed")
    }
}
