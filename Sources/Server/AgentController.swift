import Foundation
import Hummingbird
import Runner
import Store

/// The agent API: agents claim jobs (a long poll), hold them under leases (a long poll that
/// answers at once when the job is to stop), send their logs in chunks that carry their offset,
/// upload artifacts and report results. Every call is authenticated; a job's calls are taken
/// only from the token that claimed its current attempt.
struct AgentController: Sendable {
    let dispatcher: Dispatcher
    let authentication: AgentAuthentication
    let repositories: ServedRepositories

    static let largestDocument = 64 << 20
    static let largestArtifact: Int64 = 4 << 30

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/agent/claim") { request, _ in try await claim(request) }
        router.post("/api/v1/agent/jobs/:id/lease") { request, context in try await lease(request, context) }
        router.post("/api/v1/agent/jobs/:id/log") { request, context in try await log(request, context) }
        router.put("/api/v1/agent/jobs/:id/artifacts/:sha256") { request, context in try await upload(request, context) }
        router.get("/api/v1/agent/jobs/:id/artifacts/:sha256") { request, context in try await download(request, context) }
        router.post("/api/v1/agent/jobs/:id/result") { request, context in try await result(request, context) }
    }

    // MARK: - Claims and leases

    private func claim(_ request: Request) async throws -> Response {
        let token = try authentication.agentName(of: request)
        let asked = try await Self.decode(AgentAPI.ClaimRequest.self, from: request, limit: 64 << 10)
        if let problem = CoordinatorStore.agentNameProblem(asked.name) ?? Self.labelsProblem(asked.labels) {
            throw Self.refusal(.badRequest, problem)
        }
        guard (1...1_024).contains(asked.slots) else { throw Self.refusal(.badRequest, "slots must be 1 to 1024, not \(asked.slots)") }
        let queue = dispatcher.queue
        let deadline = Date().timeIntervalSince1970 + min(max(asked.wait ?? AgentAPI.longestWait, 0), AgentAPI.longestWait)
        try? queue.recordAgentContact(name: asked.name, token: token, labels: asked.labels, slots: asked.slots,
                                      now: Date().timeIntervalSince1970)
        while true {
            let generation = dispatcher.work.generation(0)
            let now = Date().timeIntervalSince1970
            if let row = try queue.claimJob(agent: asked.name, token: token, labels: Set(asked.labels), among: nil,
                                            lease: dispatcher.lease, now: now) {
                guard let order = try? JSONDecoder().decode(AgentAPI.JobOrder.self, from: row.assignment) else {
                    _ = try? queue.finishJob(row.id, attempt: row.attempt, agent: asked.name, result: Data(), cancelled: false, now: now)
                    dispatcher.ended.signal(row.id)
                    continue
                }
                return try Self.json(AgentAPI.ClaimedJob(id: row.id, attempt: row.attempt, order: order, lease: dispatcher.lease))
            }
            let left = deadline - now
            if left <= 0 { return Response(status: .noContent) }
            await dispatcher.work.wait(0, since: generation, seconds: left)
        }
    }

    private func lease(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let held = try heldJob(request, context)
        let wait = min(max(request.uri.queryParameters.get("wait").flatMap(Double.init) ?? 0, 0), dispatcher.lease / 3)
        let generation = dispatcher.cancels.generation(held.row.id)
        let check = try dispatcher.queue.renewLease(held.row.id, attempt: held.attempt, agent: held.agent, lease: dispatcher.lease,
                                                    now: Date().timeIntervalSince1970)
        guard case .held(let cancel) = check else { throw Self.lost(held) }
        if cancel || wait == 0 { return try Self.json(AgentAPI.LeaseAnswer(cancel: cancel)) }
        await dispatcher.cancels.wait(held.row.id, since: generation, seconds: wait)
        let now = try dispatcher.queue.renewLease(held.row.id, attempt: held.attempt, agent: held.agent, lease: dispatcher.lease,
                                                  now: Date().timeIntervalSince1970)
        guard case .held(let cancelNow) = now else { throw Self.lost(held) }
        return try Self.json(AgentAPI.LeaseAnswer(cancel: cancelNow))
    }

    // MARK: - Logs

    private func log(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let held = try heldJob(request, context)
        guard let offset = request.uri.queryParameters.get("offset").flatMap(Int64.init), offset >= 0 else {
            throw Self.refusal(.badRequest, "a log chunk needs ?offset=N, the byte of the log it starts at")
        }
        let chunk: ByteBuffer
        do {
            chunk = try await request.body.collect(upTo: AgentAPI.largestLogChunk)
        } catch {
            throw Self.refusal(.contentTooLarge, "a log chunk is at most \(AgentAPI.largestLogChunk) bytes")
        }
        let bytes = Array(chunk.readableBytesView)
        let path = held.row.logPath
        let outcome = try dispatcher.queue.appendLog(held.row.id, attempt: held.attempt, agent: held.agent, offset: offset,
                                                     count: Int64(bytes.count)) { skipping, at in
            try Self.write(bytes.dropFirst(Int(skipping)), to: path, at: at)
        }
        switch outcome {
        case .accepted(let size): return try Self.json(AgentAPI.LogAnswer(size: size))
        case .gap(let expected):
            return try Self.json(AgentAPI.Refusal(error: "the log of job \(held.row.id) has \(expected) bytes; a chunk at \(offset) would leave a gap",
                                                  expected: expected), status: .conflict)
        case .lost: throw Self.lost(held)
        }
    }

    /// Writes at `offset` of the file (made, with its folder, if need be), cutting off what a
    /// write the store did not record left after it.
    private static func write(_ bytes: ArraySlice<UInt8>, to path: String, at offset: Int64) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else { throw HTTPError(.internalServerError, message: "cannot write the job's log") }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(offset)) == 0 else { throw HTTPError(.internalServerError, message: "cannot write the job's log") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, $0.count - written, off_t(offset) + off_t(written)) }
            guard count > 0 else { throw HTTPError(.internalServerError, message: "cannot write the job's log") }
            written += count
        }
    }

    // MARK: - Artifacts

    private func upload(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let held = try heldJob(request, context)
        let store = try artifactStore(of: held.row)
        let sha256 = context.parameters.get("sha256") ?? ""
        guard store.objectPath(sha256) != nil else { throw Self.refusal(.badRequest, "an artifact is named by its SHA-256: 64 hex digits") }
        if store.contains(sha256) { return try Self.json(["stored": sha256]) }
        try FileManager.default.createDirectory(atPath: store.path, withIntermediateDirectories: true)
        let temporary = store.path + "/.upload-\(held.row.id)-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw HTTPError(.internalServerError, message: "cannot store the artifact")
        }
        defer { unlink(temporary) }
        var size: Int64 = 0
        do {
            for try await buffer in request.body {
                size += Int64(buffer.readableBytes)
                guard size <= Self.largestArtifact else {
                    try? handle.close()
                    throw Self.refusal(.contentTooLarge, "an artifact is at most \(Self.largestArtifact) bytes")
                }
                try handle.write(contentsOf: Data(buffer.readableBytesView))
            }
            try handle.close()
        } catch let error as HTTPError {
            throw error
        } catch {
            throw Self.refusal(.badRequest, "the artifact did not arrive whole")
        }
        let stored: (size: Int64, sha256: String)
        do {
            stored = try store.store(file: temporary)
        } catch {
            throw HTTPError(.internalServerError, message: "cannot store the artifact")
        }
        guard stored.sha256 == sha256 else {
            throw Self.refusal(.unprocessableContent, "the upload's SHA-256 is \(stored.sha256), not \(sha256)")
        }
        return try Self.json(["stored": sha256])
    }

    /// Only the artifacts the job's assignment hands it: an agent sees nothing else of the store.
    private func download(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let held = try heldJob(request, context)
        let sha256 = context.parameters.get("sha256") ?? ""
        guard let order = try? JSONDecoder().decode(AgentAPI.JobOrder.self, from: held.row.assignment),
              order.assignment.inputArtifacts.contains(where: { $0.sha256 == sha256 }) else {
            throw Self.refusal(.notFound, "job \(held.row.id) is given no artifact \(sha256)")
        }
        let store = try artifactStore(of: held.row)
        guard let path = store.objectPath(sha256), FileManager.default.fileExists(atPath: path) else {
            throw Self.refusal(.notFound, "the artifact \(sha256) is no longer kept on this coordinator")
        }
        // Streamed in chunks: an artifact may be far larger than what a request should hold.
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: body)
    }

    private func artifactStore(of row: CoordinatorStore.DispatchedJob) throws -> ArtifactStore {
        guard let path = repositories.path(of: row.repository) else {
            throw Self.refusal(.notFound, "the repository '\(row.repository)' is no longer served here")
        }
        return StateFolder(gitCommonDirectory: path).artifacts
    }

    // MARK: - Results

    private func result(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let held = try heldJob(request, context)
        let report = try await Self.decode(AgentAPI.ResultReport.self, from: request, limit: Self.largestDocument)
        guard report.attempt == held.attempt else {
            throw Self.refusal(.badRequest, "the result says attempt \(report.attempt), the request \(held.attempt)")
        }
        guard report.result.name == held.row.job else {
            throw Self.refusal(.unprocessableContent, "job \(held.row.id) is '\(held.row.job)'; this result is for '\(report.result.name)'")
        }
        guard held.row.logSize >= report.logSize else {
            return try Self.json(AgentAPI.Refusal(error: "the log of job \(held.row.id) has \(held.row.logSize) of its \(report.logSize) bytes; send the rest first",
                                                  expected: held.row.logSize), status: .conflict)
        }
        let store = try artifactStore(of: held.row)
        if let missing = report.result.artifacts.first(where: { !store.contains($0.sha256) }) {
            throw Self.refusal(.unprocessableContent, "the artifact '\(missing.name)' (\(missing.sha256)) was not uploaded")
        }
        var result = report.result
        result.logPath = nil
        let data = try JSONEncoder().encode(result)
        let recorded = try dispatcher.queue.finishJob(held.row.id, attempt: held.attempt, agent: held.agent, result: data,
                                                      cancelled: result.status == .cancelled, now: Date().timeIntervalSince1970)
        guard recorded else { throw Self.lost(held) }
        dispatcher.ended.signal(held.row.id)
        // The agent's lease poll of the job ends now (its renewal finds the job ended), not
        // when its wait runs out: a request, its socket and its task fewer per finished job.
        dispatcher.cancels.signal(held.row.id)
        return try Self.json(["recorded": held.row.id])
    }

    // MARK: - Checks

    struct HeldJob {
        let row: CoordinatorStore.DispatchedJob
        let attempt: Int
        let agent: String
    }

    /// The job of the path, if the caller's token holds its current attempt (`?attempt=N`).
    private func heldJob(_ request: Request, _ context: BasicRequestContext) throws -> HeldJob {
        let token = try authentication.agentName(of: request)
        guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw Self.refusal(.badRequest, "a job id is a number") }
        guard let attempt = request.uri.queryParameters.get("attempt").flatMap(Int.init) else {
            throw Self.refusal(.badRequest, "a job's calls name the attempt they are for: ?attempt=N")
        }
        guard let row = try dispatcher.queue.dispatchedJob(id), row.state == .running, row.attempt == attempt,
              let agent = row.agent, row.token == token else {
            throw Self.refusal(.conflict, "job \(id) attempt \(attempt) is not held by this agent (its lease ran out, or it ended)")
        }
        return HeldJob(row: row, attempt: attempt, agent: agent)
    }

    static func lost(_ held: HeldJob) -> HTTPError {
        refusal(.conflict, "job \(held.row.id) attempt \(held.attempt) is no longer this agent's: its lease ran out, or it ended")
    }

    static func labelsProblem(_ labels: [String]) -> String? {
        guard labels.count <= 64 else { return "an agent has at most 64 labels" }
        for label in labels where label.isEmpty || label.utf8.count > 64
            || !label.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-+=".unicodeScalars.contains($0)) }) {
            return "a label holds 1 to 64 letters, digits and '._-+=': '\(label.prefix(80))'"
        }
        return nil
    }

    static func refusal(_ status: HTTPResponse.Status, _ message: String) -> HTTPError {
        HTTPError(status, message: message)
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw refusal(.contentTooLarge, "the request is larger than \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw refusal(.badRequest, "the body is not a valid \(T.self) document: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "'\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted: return "it is not JSON"
        default: return "it cannot be read"
        }
    }

    static func json(_ document: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(document)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
