import Foundation
import Runner
import CSpawn
import GitKit

/// An agent's copy of each repository it builds: one bare mirror per repository under
/// `HOME/mirrors/NAME.git`, filled from the coordinator's git smart HTTP (`SERVER/git/NAME`)
/// by the real `git fetch`, so that a second build of the same repository negotiates with what
/// the mirror has and receives only the objects it lacks.
///
/// Every commit fetched stays under `refs/gitci/fetched/COMMIT` (the newest `keptFetches` by
/// commit date): they are what the next fetch offers as haves, and what keeps their objects
/// from being collected. The token travels in git's configuration through the environment
/// (`GIT_CONFIG_COUNT`), never in an argument or the URL, where `ps` or an error message would
/// show it.
public struct AgentMirror: Sendable {
    public let home: String
    public let server: String
    private let token: String

    /// How many fetched commits keep a ref in each mirror.
    public static let keptFetches = 50
    static let fetchedPrefix = "refs/gitci/fetched/"

    public init(home: String, server: String, token: String) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.home = home
        self.server = server
        self.token = token
    }

    public struct Fetched: Sendable, Hashable {
        /// The mirror (a bare repository) that holds the commit.
        public let gitDirectory: String
        /// Pack bytes received from the coordinator: what git's own progress counted as it read
        /// the pack (0 when the commit was already there).
        public let receivedBytes: Int
    }

    public struct FetchError: Error, CustomStringConvertible, Sendable {
        public enum Reason: Sendable, Hashable {
            case badRepositoryName
            case badCommit
            case mirror
            case fetch
        }

        public let reason: Reason
        public let repository: String
        public let description: String
    }

    /// `fetch` on a thread of its own: it waits for git and for the mirror's lock, which must
    /// not hold a thread of the concurrency pool.
    public func fetch(repository: String, commit: String) async throws(FetchError) -> Fetched {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Fetched, FetchError>, Never>) in
            let thread = Thread {
                continuation.resume(returning: Result { () throws(FetchError) -> Fetched in
                    try self.fetch(repository: repository, commit: commit)
                })
            }
            thread.start()
        }
        return try result.get()
    }

    /// Makes sure `commit` of `repository` is in its mirror, fetching it from the coordinator
    /// when it is not. Two callers on one repository take turns (a lock per mirror). Blocks.
    public func fetch(repository: String, commit: String) throws(FetchError) -> Fetched {
        if let problem = Self.nameProblem(repository) {
            throw FetchError(reason: .badRepositoryName, repository: repository, description: "refusing repository name \(repository.debugDescription): \(problem)")
        }
        guard Self.isCommitID(commit) else {
            throw FetchError(reason: .badCommit, repository: repository, description: "not a commit id: \(commit.debugDescription)")
        }
        let mirrors = (home as NSString).appendingPathComponent("mirrors")
        let gitDirectory = (mirrors as NSString).appendingPathComponent(repository + ".git")
        do {
            try FileManager.default.createDirectory(atPath: mirrors, withIntermediateDirectories: true)
        } catch {
            throw FetchError(reason: .mirror, repository: repository, description: "cannot make the mirrors folder \(mirrors): \(error.localizedDescription)")
        }
        let lock = try MirrorLock(path: (mirrors as NSString).appendingPathComponent(repository + ".lock"), repository: repository)
        defer { lock.release() }

        if !FileManager.default.fileExists(atPath: (gitDirectory as NSString).appendingPathComponent("HEAD")) {
            let made = GitCommand.run(["init", "--quiet", "--bare", "--", gitDirectory], environment: GitCommand.baseEnvironment)
            guard made.status == 0 else {
                throw FetchError(reason: .mirror, repository: repository, description: "cannot make the mirror of '\(repository)' at \(gitDirectory): \(made.lastErrorLine)")
            }
        }
        let git = ["--git-dir=\(gitDirectory)"]
        // Asked through libgit2: the commit is most often there already (every job of a build
        // but the first), and a git process to ask would cost that job a few milliseconds.
        if let id = ObjectID(hex: commit), let mirror = try? Repository.open(gitDirectory), (try? mirror.commit(id)) != nil {
            return Fetched(gitDirectory: gitDirectory, receivedBytes: 0)
        }

        let trace = NSTemporaryDirectory() + "gitci-fetch-trace-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: trace) }
        var environment = GitCommand.baseEnvironment
        environment["GIT_CONFIG_COUNT"] = "1"
        environment["GIT_CONFIG_KEY_0"] = "http.extraHeader"
        environment["GIT_CONFIG_VALUE_0"] = "Authorization: Bearer \(token)"
        // index-pack's progress reports the pack bytes it read as a trace2 event.
        environment["GIT_TRACE2_EVENT"] = trace
        let url = "\(server)/git/\(repository.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? repository)"
        let fetched = GitCommand.run(git + [
            // Every pack is kept as received (not exploded into loose objects below 100
            // objects), so that index-pack, which counts the bytes, always runs.
            "-c", "fetch.unpackLimit=1",
            // A stalled coordinator ends the fetch instead of holding the job.
            "-c", "http.lowSpeedLimit=1", "-c", "http.lowSpeedTime=120",
            // The token is the only credential: no helper of the agent's user is asked or told.
            "-c", "credential.helper=",
            // Garbage collection after a fetch runs before this returns, under the lock, not
            // detached in the background of a mirror the next fetch may be writing.
            "-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false",
            "fetch", "--progress", "--no-tags", "--no-write-fetch-head", "--",
            url, "+\(commit):\(Self.fetchedPrefix)\(commit)",
        ], environment: environment)
        guard fetched.status == 0 else {
            // A 401 makes git ask for a user name, which it may not: its line says so.
            let said = fetched.lastErrorLine.contains("could not read Username")
                ? "the coordinator refused the agent token (HTTP 401)" : fetched.lastErrorLine
            throw FetchError(reason: .fetch, repository: repository,
                             description: "cannot fetch \(commit) of '\(repository)' from \(server): \(said)")
        }
        pruneFetchedReferences(gitDirectory: gitDirectory)
        return Fetched(gitDirectory: gitDirectory, receivedBytes: Self.receivedBytes(traceFile: trace))
    }

    /// Drops the refs of all but the newest `keptFetches` commits fetched. Failing to is harmless
    /// (the next fetch prunes), so it is not an error.
    private func pruneFetchedReferences(gitDirectory: String) {
        let listed = GitCommand.run(["--git-dir=\(gitDirectory)", "for-each-ref", "--sort=-committerdate",
                                     "--format=%(refname)", Self.fetchedPrefix], environment: GitCommand.baseEnvironment)
        let references = listed.output.split(separator: "\n").map(String.init)
        guard listed.status == 0, references.count > Self.keptFetches else { return }
        let deletions = references.dropFirst(Self.keptFetches).map { "delete \($0)\n" }.joined()
        _ = GitCommand.run(["--git-dir=\(gitDirectory)", "update-ref", "--stdin"], environment: GitCommand.baseEnvironment,
                           input: deletions)
    }

    /// The sum of the `total_bytes` progress events of git's trace2 log (index-pack's count of
    /// the pack it read).
    static func receivedBytes(traceFile: String) -> Int {
        guard let text = try? String(contentsOfFile: traceFile, encoding: .utf8) else { return 0 }
        var total = 0
        for line in text.split(separator: "\n") where line.contains("\"total_bytes\"") {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  event["category"] as? String == "progress", event["key"] as? String == "total_bytes" else { continue }
            total += (event["value"] as? String).flatMap { Int($0) } ?? (event["value"] as? Int ?? 0)
        }
        return total
    }

    // MARK: - Input checks

    /// Why `name` cannot be a repository name (it becomes a folder name), or nil.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > 200 { return "it is longer than 200 bytes" }
        if name.contains("/") || name.contains("\\") { return "it contains a path separator" }
        if name.contains("..") || name == "." { return "it contains '..' or is '.'" }
        if name.hasPrefix("-") || name.hasPrefix(".") { return "it starts with '\(name.first!)'" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{7F}" }) {
            return "it contains a control character"
        }
        return nil
    }

    static func isCommitID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64)
            && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

// MARK: - Lock

/// An exclusive `flock` on a file beside the mirror, held while it is checked and fetched into.
private final class MirrorLock {
    private let descriptor: Int32

    init(path: String, repository: String) throws(AgentMirror.FetchError) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AgentMirror.FetchError(reason: .mirror, repository: repository,
                                         description: "cannot open the mirror lock \(path): \(String(cString: strerror(errno)))")
        }
        var rc: Int32
        repeat { rc = flock(descriptor, LOCK_EX) } while rc != 0 && errno == EINTR
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw AgentMirror.FetchError(reason: .mirror, repository: repository, description: "cannot lock the mirror \(path): \(reason)")
        }
    }

    func release() {
        close(descriptor)
    }
}

// MARK: - git

/// The `git` command line, with an argument list (no shell), its output in files (a fetch's
/// progress can outgrow a pipe).
private enum GitCommand {
    struct Result {
        let status: Int32
        let output: String
        let errors: String

        /// git's last line of error output, for messages ("fatal: …").
        var lastErrorLine: String {
            errors.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .last(where: { !$0.isEmpty }) ?? "git exited with status \(status)"
        }
    }

    /// The agent's environment without GIT_* (which could point git at another repository or
    /// add configuration), and no prompt: an agent has no one to answer it.
    static var baseEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_TERMINAL_PROMPT"] = "0"
        return environment
    }

    static func run(_ arguments: [String], environment: [String: String], input: String? = nil) -> Result {
        let scratch = NSTemporaryDirectory() + "gitci-git-\(UUID().uuidString)"
        let files = (input: scratch + ".in", output: scratch + ".out", errors: scratch + ".err")
        defer { [files.input, files.output, files.errors].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        guard FileManager.default.createFile(atPath: files.input, contents: Data((input ?? "").utf8), attributes: [.posixPermissions: 0o600]),
              FileManager.default.createFile(atPath: files.output, contents: nil, attributes: [.posixPermissions: 0o600]),
              FileManager.default.createFile(atPath: files.errors, contents: nil, attributes: [.posixPermissions: 0o600]),
              let inputHandle = FileHandle(forReadingAtPath: files.input),
              let outputHandle = FileHandle(forWritingAtPath: files.output),
              let errorHandle = FileHandle(forWritingAtPath: files.errors) else {
            return Result(status: -1, output: "", errors: "cannot make temporary files in \(NSTemporaryDirectory())")
        }
        // gitci's own posix_spawn, not Foundation's `Process`, which kept some kilobytes of
        // every child: an agent runs git for every job it takes, for as long as it runs.
        let group: ProcessGroup
        do {
            group = try ProcessGroup.spawn(["/usr/bin/env", "git"] + arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                           input: inputHandle.fileDescriptor, output: outputHandle.fileDescriptor,
                                           error: errorHandle.fileDescriptor)
        } catch {
            return Result(status: -1, output: "", errors: "cannot run git: \(error)")
        }
        var code: Int32 = 0, signaled: Int32 = 0
        _ = gitci_wait_exit_keep_zombie(group.pid, &code, &signaled)
        group.reap()
        try? inputHandle.close()
        try? outputHandle.close()
        try? errorHandle.close()
        return Result(status: signaled == 1 ? 128 + code : code,
                      output: (try? String(contentsOfFile: files.output, encoding: .utf8)) ?? "",
                      errors: (try? String(contentsOfFile: files.errors, encoding: .utf8)) ?? "")
    }
}
