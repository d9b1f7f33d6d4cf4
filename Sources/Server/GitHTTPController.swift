import CSpawn
import Foundation
import Hummingbird
import Runner

/// git's smart HTTP, fetch side only, for agents: the source of a job reaches its agent through
/// git's own protocol, so that an agent's mirror negotiates and receives only the objects it
/// lacks. Real `git upload-pack --stateless-rpc` does the work, as `git http-backend` would run
/// it; this only authenticates, picks the repository and moves bytes.
///
/// `GET /git/REPO/info/refs?service=git-upload-pack` and `POST /git/REPO/git-upload-pack`
/// (`REPO.git` works too). Pushing is refused (403); every call needs an agent token (401).
struct GitHTTPController: Sendable {
    let repositories: ServedRepositories
    let authentication: AgentAuthentication

    /// The largest request body taken (after gzip is undone too): a fetch request is a list of
    /// wants and haves, kilobytes even for a large negotiation.
    static let requestLimit = 64 << 20

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/git/:repo/info/refs") { request, context in
            _ = try authentication.agentName(of: request)
            let (name, gitDirectory) = try repository(context)
            switch request.uri.queryParameters.get("service") {
            case "git-upload-pack": break
            case "git-receive-pack": throw Self.pushRefused
            case nil: throw HTTPError(.badRequest, message: "only git's smart HTTP is served: ask with ?service=git-upload-pack")
            default: throw HTTPError(.badRequest, message: "unknown git service; only git-upload-pack is served")
            }
            let gitProtocol = Self.gitProtocol(of: request)
            let child = try UploadPack.start(gitDirectory: gitDirectory, advertise: true, gitProtocol: gitProtocol, input: nil)
            // What git http-backend does: a v0/v1 advertisement starts with the service line,
            // which the client checks; a v2 one is the capability list alone.
            var preamble = ByteBuffer()
            if !Self.isVersion2(gitProtocol) {
                Self.appendPacketLine("# service=git-upload-pack\n", to: &preamble)
                preamble.writeString("0000")
            }
            return try await child.response(contentType: "application/x-git-upload-pack-advertisement", preamble: preamble,
                                            repository: name, context: context)
        }
        router.post("/git/:repo/git-upload-pack") { request, context in
            _ = try authentication.agentName(of: request)
            let (name, gitDirectory) = try repository(context)
            guard request.headers[.contentType] == "application/x-git-upload-pack-request" else {
                throw HTTPError(.unsupportedMediaType, message: "a git-upload-pack request is application/x-git-upload-pack-request")
            }
            var request = request
            var body = try await request.collectBody(upTo: Self.requestLimit)
            switch request.headers[.contentEncoding]?.lowercased() {
            case nil, "identity": break
            case "gzip", "x-gzip": body = try await Gunzip.run(body, limit: Self.requestLimit)
            default: throw HTTPError(.unsupportedMediaType, message: "request bodies are taken plain or gzip-encoded")
            }
            let child = try UploadPack.start(gitDirectory: gitDirectory, advertise: false,
                                             gitProtocol: Self.gitProtocol(of: request), input: body)
            return try await child.response(contentType: "application/x-git-upload-pack-result", preamble: ByteBuffer(),
                                            repository: name, context: context)
        }
        router.post("/git/:repo/git-receive-pack") { request, context -> Response in
            _ = try authentication.agentName(of: request)
            _ = try repository(context)
            throw Self.pushRefused
        }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .head] {
            router.on("/git/:repo/**", method: method) { request, _ -> Response in
                _ = try authentication.agentName(of: request)
                throw HTTPError(.badRequest, message: "not a git smart HTTP fetch request (info/refs?service=git-upload-pack, git-upload-pack)")
            }
        }
    }

    // HTTPTypes is not a dependency of its own here: its names come through Hummingbird.
    static let gitProtocolHeader = HTTPFields.Element.Name("Git-Protocol")!
    static let pragmaHeader = HTTPFields.Element.Name("Pragma")!

    static var pushRefused: HTTPError {
        HTTPError(.forbidden, message: "pushing is not served here: agents only fetch; push to the repository itself")
    }

    /// The served repository the path names (`app` or `app.git`) and its folder; 404 otherwise.
    private func repository(_ context: BasicRequestContext) throws -> (name: String, path: String) {
        let name = context.parameters.get("repo") ?? ""
        if let path = repositories.path(of: name) { return (name, path) }
        if name.hasSuffix(".git"), let path = repositories.path(of: String(name.dropLast(4))) { return (String(name.dropLast(4)), path) }
        throw HTTPError(.notFound, message: "no repository named '\(name)' is served here")
    }

    // MARK: - Protocol details

    /// The client's `Git-Protocol` header, passed on as GIT_PROTOCOL only when it looks like what
    /// git sends (`version=2`, keys and values joined by `:`): it reaches git's environment.
    static func gitProtocol(of request: Request) -> String? {
        guard let value = request.headers[Self.gitProtocolHeader], !value.isEmpty, value.utf8.count <= 128,
              value.utf8.allSatisfy({ $0.isASCIIAlphanumeric || "=:._-".utf8.contains($0) }) else { return nil }
        return value
    }

    static func isVersion2(_ gitProtocol: String?) -> Bool {
        gitProtocol?.split(separator: ":").contains("version=2") ?? false
    }

    static func appendPacketLine(_ text: String, to buffer: inout ByteBuffer) {
        buffer.writeString(String(format: "%04x", text.utf8.count + 4))
        buffer.writeString(text)
    }
}

private extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

// MARK: - Children

/// `git upload-pack --stateless-rpc` on one repository, for one request.
enum UploadPack {
    static func start(gitDirectory: String, advertise: Bool, gitProtocol: String?, input: ByteBuffer?) throws -> StreamingChild {
        // Any commit by id: an agent fetches the commit its job names, which no ref may point to
        // any more (a force-pushed branch) or yet (a tag being made).
        var arguments = ["git", "-c", "uploadpack.allowReachableSHA1InWant=true", "-c", "uploadpack.allowAnySHA1InWant=true",
                         "upload-pack", "--stateless-rpc"]
        if advertise { arguments.append("--advertise-refs") }
        arguments += ["--", gitDirectory]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        if let gitProtocol { environment["GIT_PROTOCOL"] = gitProtocol }
        do {
            return try StreamingChild.start(arguments, environment: environment, input: input)
        } catch {
            throw HTTPError(.internalServerError, message: "cannot run git upload-pack")
        }
    }
}

/// Undoes the gzip encoding git's client gives request bodies over a kilobyte, with `gzip -dc`
/// (no zlib binding here), refusing what inflates past `limit`.
enum Gunzip {
    static func run(_ body: ByteBuffer, limit: Int) async throws -> ByteBuffer {
        let child: StreamingChild
        do {
            child = try StreamingChild.start(["gzip", "-dc"], environment: ProcessInfo.processInfo.environment, input: body)
        } catch {
            throw HTTPError(.internalServerError, message: "cannot run gzip to decode the request")
        }
        var inflated = ByteBuffer()
        while var chunk = await child.nextChunk() {
            guard inflated.readableBytes + chunk.readableBytes <= limit else {
                child.kill()
                _ = await child.exitStatus()
                throw HTTPError(.contentTooLarge, message: "the request is larger than \(limit >> 20) MB once decoded")
            }
            inflated.writeBuffer(&chunk)
        }
        guard await child.exitStatus() == 0 else {
            throw HTTPError(.badRequest, message: "the request body is not valid gzip")
        }
        return inflated
    }
}

/// A child process whose standard output is read chunk by chunk as the reader asks for it, so
/// a large pack streams to the client at the client's pace instead of piling up in memory.
/// Its input is a file (unlinked once open), so that no pipe can fill and no write can meet a
/// closed pipe; its error output goes to a file read only to log a failure.
final class StreamingChild: @unchecked Sendable {
    // @unchecked: `status` and `waiters` are only touched under `lock`; the descriptors are
    // immutable and read by one reader at a time (the response writer).
    private let group: ProcessGroup
    private let output: Int32
    private let errorFile: String
    private let lock = NSLock()
    private var status: Int32?
    private var waiters: [CheckedContinuation<Int32, Never>] = []
    private let command: String

    private static let readers = DispatchQueue(label: "gitci.git-http.read", attributes: .concurrent)
    static let chunkSize = 64 << 10

    struct StartError: Error {}

    private init(group: ProcessGroup, output: Int32, errorFile: String, command: String) {
        self.group = group
        self.output = output
        self.errorFile = errorFile
        self.command = command
    }

    /// Started through gitci's own posix_spawn (Runner's ProcessGroup), not Foundation's
    /// `Process`, which kept some kilobytes of every child: a coordinator serves two children
    /// per fetch for as long as it runs.
    static func start(_ arguments: [String], environment: [String: String], input: ByteBuffer?) throws -> StreamingChild {
        let scratch = NSTemporaryDirectory() + "gitci-git-http-\(UUID().uuidString)"
        let inputFile = scratch + ".in", errorFile = scratch + ".err"
        let inputData = input.map { Data($0.readableBytesView) } ?? Data()
        guard FileManager.default.createFile(atPath: inputFile, contents: inputData, attributes: [.posixPermissions: 0o600]) else {
            throw StartError()
        }
        defer { unlink(inputFile) }
        let inputDescriptor = open(inputFile, O_RDONLY | O_CLOEXEC)
        let errorDescriptor = open(errorFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            if inputDescriptor >= 0 { close(inputDescriptor) }
            if errorDescriptor >= 0 { close(errorDescriptor) }
        }
        var ends: [Int32] = [-1, -1]
        guard inputDescriptor >= 0, errorDescriptor >= 0, gitci_pipe(&ends) == 0 else {
            unlink(errorFile)
            throw StartError()
        }
        let group: ProcessGroup
        do {
            group = try ProcessGroup.spawn(["/usr/bin/env"] + arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                           input: inputDescriptor, output: ends[1], error: errorDescriptor)
        } catch {
            close(ends[0])
            close(ends[1])
            unlink(errorFile)
            throw StartError()
        }
        // Only the child may hold the write end: the reader sees the end of output when it exits.
        close(ends[1])
        let child = StreamingChild(group: group, output: ends[0], errorFile: errorFile, command: arguments.first ?? "")
        Task { [weak child, group] in
            let ended = await group.waitForExit()
            group.reap()
            child?.exited(ended.exitCode)
        }
        return child
    }

    deinit {
        // A response dropped before its body was written (the client went away) must not leave
        // git running.
        if lock.withLock({ status == nil }) { group.signal(SIGKILL) }
        close(output)
        unlink(errorFile)
    }

    /// The next bytes of its output; nil at its end.
    func nextChunk() async -> ByteBuffer? {
        let descriptor = output
        return await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
            Self.readers.async {
                var bytes = [UInt8](repeating: 0, count: Self.chunkSize)
                var count: Int
                repeat {
                    count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                } while count < 0 && errno == EINTR
                continuation.resume(returning: count > 0 ? ByteBuffer(bytes: bytes[0..<count]) : nil)
            }
        }
    }

    func kill() {
        lock.withLock {
            if status == nil { group.signal(SIGKILL) }
        }
    }

    private func exited(_ code: Int32) {
        let resumed = lock.withLock {
            status = code
            defer { waiters = [] }
            return waiters
        }
        resumed.forEach { $0.resume(returning: code) }
    }

    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code: Int32? = lock.withLock {
                if let status { return status }
                waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    /// The last line it wrote to its error output, for the server's log.
    var lastErrorLine: String {
        let text = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
    }

    /// Its output as the body of a 200 answer, after `preamble`. A child that fails before
    /// writing anything is a 500 (its message goes to the log: it may name server paths).
    func response(contentType: String, preamble: ByteBuffer, repository: String, context: BasicRequestContext) async throws -> Response {
        let logger = context.logger
        let first = await nextChunk()
        if first == nil {
            let code = await exitStatus()
            if code != 0 {
                logger.error("git upload-pack failed", metadata: ["repo": "\(repository)", "status": "\(code)", "stderr": "\(lastErrorLine)"])
                throw HTTPError(.internalServerError, message: "git upload-pack failed on '\(repository)'")
            }
        }
        let headers: HTTPFields = [
            .contentType: contentType,
            // As git http-backend sends: a proxy must never answer a fetch from a cache.
            .cacheControl: "no-cache, max-age=0, must-revalidate",
            .expires: "Fri, 01 Jan 1980 00:00:00 GMT",
            GitHTTPController.pragmaHeader: "no-cache",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            var sent = 0
            do {
                var head = preamble
                if var first { head.writeBuffer(&first) }
                sent += head.readableBytes
                if head.readableBytes > 0 { try await writer.write(head) }
                while let chunk = await nextChunk() {
                    sent += chunk.readableBytes
                    try await writer.write(chunk)
                }
            } catch {
                // Not waiting for its exit: a pack-objects it started may take a moment to
                // notice the pipe is gone.
                kill()
                logger.info("git upload-pack answer cut short", metadata: ["repo": "\(repository)", "bytes": "\(sent)"])
                throw error
            }
            let code = await exitStatus()
            guard code == 0 else {
                logger.error("git upload-pack failed", metadata: ["repo": "\(repository)", "status": "\(code)", "stderr": "\(lastErrorLine)"])
                // Cutting the connection tells the client the answer is not whole.
                throw HTTPError(.internalServerError)
            }
            logger.info("git upload-pack answered", metadata: ["repo": "\(repository)", "bytes": "\(sent)"])
            try await writer.finish(nil)
        })
    }
}
