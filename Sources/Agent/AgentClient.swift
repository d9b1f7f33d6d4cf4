import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Runner

/// The agent's side of the agent API: one call per function, over outbound HTTP(S) only.
struct AgentClient: Sendable {
    let settings: AgentSettings
    let http: HTTPClient

    enum Failure: Error, CustomStringConvertible {
        /// The coordinator cannot be reached, or answered with a server error: try again later.
        case unreachable(String)
        /// The token was refused: nothing will work until the agent is given another.
        case unauthorized
        /// The job's attempt is no longer this agent's.
        case lost(String)
        /// A log chunk would leave a gap: the coordinator holds this many bytes.
        case gap(expected: Int64)
        /// Refused for what was sent: sending it again will not help.
        case refused(status: Int, message: String)

        var description: String {
            switch self {
            case .unreachable(let message): return "the coordinator cannot be reached: \(message)"
            case .unauthorized: return "the coordinator refused the agent token (wrong or revoked)"
            case .lost(let message): return message
            case .gap(let expected): return "the coordinator holds \(expected) bytes of the log"
            case .refused(let status, let message): return "the coordinator refused the request (\(status)): \(message)"
            }
        }

        var isRetryable: Bool {
            if case .unreachable = self { return true }
            return false
        }
    }

    /// The next job whose labels this agent has, or nil when none came within `wait` seconds.
    func claim(wait: Double) async throws(Failure) -> AgentAPI.ClaimedJob? {
        let body = AgentAPI.ClaimRequest(name: settings.name, labels: settings.labels, slots: settings.slots, wait: wait)
        let (status, data) = try await send("/api/v1/agent/claim", method: .POST, json: body, timeout: wait + 15)
        if status == 204 { return nil }
        return try decode(AgentAPI.ClaimedJob.self, data)
    }

    /// Renews the lease and waits up to `wait` seconds for the coordinator to say the job must stop.
    func lease(_ job: AgentAPI.ClaimedJob, wait: Double) async throws(Failure) -> AgentAPI.LeaseAnswer {
        let (_, data) = try await send(path(job, "lease") + "&wait=\(Int(wait))", method: .POST, body: ByteBuffer(), timeout: wait + 15)
        return try decode(AgentAPI.LeaseAnswer.self, data)
    }

    /// Sends log bytes that start at `offset`; returns how many bytes the coordinator holds.
    func sendLog(_ job: AgentAPI.ClaimedJob, offset: Int64, bytes: ByteBuffer) async throws(Failure) -> Int64 {
        let (_, data) = try await send(path(job, "log") + "&offset=\(offset)", method: .POST, body: bytes, timeout: 30)
        return try decode(AgentAPI.LogAnswer.self, data).size
    }

    func uploadArtifact(_ job: AgentAPI.ClaimedJob, sha256: String, file: String) async throws(Failure) {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw .refused(status: 0, message: "cannot read \(file)") }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        var request = request(path(job, "artifacts/\(sha256)"), method: .PUT)
        request.body = .stream(FileChunks(handle: handle), length: .known(Int64(size)))
        _ = try await execute(request, timeout: 600)
    }

    /// Downloads an input artifact of the job into `file`.
    func downloadArtifact(_ job: AgentAPI.ClaimedJob, sha256: String, into file: String) async throws(Failure) {
        let request = request(path(job, "artifacts/\(sha256)"), method: .GET)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(600))
        } catch {
            throw .unreachable("\(error)")
        }
        guard response.status == .ok else {
            let data = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            throw Self.failure(status: Int(response.status.code), data)
        }
        guard FileManager.default.createFile(atPath: file, contents: nil), let output = FileHandle(forWritingAtPath: file) else {
            throw .refused(status: 0, message: "cannot write \(file)")
        }
        defer { try? output.close() }
        do {
            for try await buffer in response.body {
                try output.write(contentsOf: Data(buffer.readableBytesView))
            }
        } catch {
            throw .unreachable("the artifact \(sha256) did not arrive whole: \(error)")
        }
    }

    func sendResult(_ job: AgentAPI.ClaimedJob, _ report: AgentAPI.ResultReport) async throws(Failure) {
        _ = try await send(path(job, "result"), method: .POST, json: report, timeout: 120)
    }

    // MARK: - Requests

    private func path(_ job: AgentAPI.ClaimedJob, _ call: String) -> String {
        "/api/v1/agent/jobs/\(job.id)/\(call)?attempt=\(job.attempt)"
    }

    private func request(_ path: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: settings.server + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(settings.token)")
        request.headers.add(name: "User-Agent", value: "gitci-agent")
        return request
    }

    private func send(_ path: String, method: HTTPMethod, json: some Encodable, timeout: Double) async throws(Failure) -> (Int, Data) {
        guard let data = try? JSONEncoder().encode(json) else { throw .refused(status: 0, message: "cannot encode the request") }
        var request = request(path, method: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: data))
        return try await execute(request, timeout: timeout)
    }

    private func send(_ path: String, method: HTTPMethod, body: ByteBuffer, timeout: Double) async throws(Failure) -> (Int, Data) {
        var request = request(path, method: method)
        request.body = .bytes(body)
        return try await execute(request, timeout: timeout)
    }

    private func execute(_ request: HTTPClientRequest, timeout: Double) async throws(Failure) -> (Int, Data) {
        let status: Int
        let data: Data
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            status = Int(response.status.code)
            data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        } catch {
            throw .unreachable("\(error)")
        }
        guard (200..<300).contains(status) else { throw Self.failure(status: status, data) }
        return (status, data)
    }

    private static func failure(status: Int, _ data: Data) -> Failure {
        let refusal = try? JSONDecoder().decode(AgentAPI.Refusal.self, from: data)
        let message = refusal?.error ?? (try? JSONDecoder().decode(HummingbirdError.self, from: data))?.error.message
            ?? String(decoding: data.prefix(300), as: UTF8.self)
        switch status {
        case 401: return .unauthorized
        case 409 where refusal?.expected != nil: return .gap(expected: refusal!.expected!)
        case 409: return .lost(message)
        case 500...: return .unreachable("the coordinator answered \(status): \(message)")
        default: return .refused(status: status, message: message)
        }
    }

    /// Hummingbird's error body: `{"error": {"message": "…"}}`.
    private struct HummingbirdError: Decodable {
        struct Inner: Decodable { let message: String }
        let error: Inner
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws(Failure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .refused(status: 200, message: "the coordinator's answer is not a \(T.self) document")
        }
    }
}

/// A file's bytes in chunks of a megabyte, for an upload that never holds the whole file.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle

        mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: handle)
    }
}

