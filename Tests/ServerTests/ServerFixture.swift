import Foundation
import Store
import Testing
import TestSupport

/// A bare "server" repository with gitci installed, and a working copy whose `origin` is that
/// server: what a team has after `gitci install /srv/git/app.git` and a clone.
final class ServerFixture: @unchecked Sendable {
    // @unchecked: the stored properties are immutable; the folders are this fixture's alone.
    let server: GitFixture
    let clone: GitFixture
    /// A scratch folder for what steps write to tell the test where they are (started, attempts).
    let scratch = TemporaryDirectory("gitci-scratch")

    var serverPath: String { server.path }
    var stateFolder: String { server.path + "/gitci" }

    /// Installs gitci into a new bare repository (unless `install` is false) and prepares a
    /// working copy with `pipeline` committed on `main` (not pushed yet). `{scratch}` in the
    /// pipeline stands for the scratch folder.
    init(pipeline: String?, install: Bool = true) throws {
        _ = TestHome.path
        server = try GitFixture(bare: true)
        clone = try GitFixture()
        if install {
            let result = try GitciBinary.run(["install", server.path], in: server.path)
            guard result.status == 0 else { throw FixtureError("gitci install failed: \(result.stderr)") }
            // A worker a push starts would otherwise stay 30 s after its builds: the tests that
            // take the worker lock themselves need it gone, and the suite need not keep a
            // worker per finished test (WorkerLingerTests sets its own).
            try server.git(["config", "gitci.workerLinger", "0"])
            // Builds run sandboxed: the scratch folder is where steps may leave evidence.
            try server.git(["config", "gitci.sandboxWritable", scratch.path])
        }
        try clone.git(["remote", "add", "origin", server.path])
        if let pipeline { try clone.commit([".gitci.yml": expand(pipeline)], message: "pipeline") }
    }

    /// `text` with `{scratch}` replaced by the scratch folder's path.
    func expand(_ text: String) -> String {
        text.replacingOccurrences(of: "{scratch}", with: scratch.path)
    }

    // MARK: - Pushing and draining

    /// `git push ARGUMENTS` from the working copy; the result is the pusher's view.
    @discardableResult
    func push(_ arguments: [String]) throws -> CommandResult {
        try Shell.run(["git", "push"] + arguments, in: clone.path)
    }

    /// Pushes and requires success: the hook never fails a push.
    @discardableResult
    func pushOK(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try push(arguments)
        #expect(result.status == 0, "git push \(arguments.joined(separator: " ")): \(result.stderr)",
                sourceLocation: sourceLocation)
        return result
    }

    /// How long a test waits for a worker to build what it was given and leave: generous on a
    /// loaded machine, and still a failure with a message, not a suite that hangs.
    static let workerDeadline: Double = 120

    /// Waits for the worker the hook started (if any), then builds whatever is still queued.
    /// After `workerDeadline` it kills the workers of this server and fails the test.
    func drain(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result: CommandResult
        do {
            result = try gitci(["worker", "--once"], timeout: Self.workerDeadline)
        } catch let timedOut as CommandTimedOut {
            let killed = killWorkers()
            throw FixtureError("""
                gitci worker --once did not drain the queue within \(Int(Self.workerDeadline)) s: a worker hangs \
                (killed it and \(killed.count) other workers of the server: \(killed)). \(timedOut.stderr.suffix(4_000))
                """)
        }
        #expect(result.status == 0, "gitci worker --once: \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// The built binary run against the server repository.
    @discardableResult
    func gitci(_ arguments: [String], environment: [String: String] = [:],
               timeout: Double = Shell.defaultTimeout) throws -> CommandResult {
        try GitciBinary.run(arguments + ["-C", server.path], in: server.path, environment: environment, timeout: timeout)
    }

    /// `gitci worker OPTIONS` for the server, in the background, its output discarded (a
    /// service unless `options` say otherwise). Stop it with `stop(_:)`.
    func startWorker(_ options: [String] = []) throws -> Process {
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: GitciBinary.path)
        worker.arguments = ["worker"] + options + ["-C", server.path]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        return worker
    }

    /// Sends `signal` to a worker `startWorker` started and waits for it to exit; one that is
    /// still there after `workerDeadline` is killed, and the test fails.
    func stop(_ worker: Process, signal: Int32 = SIGTERM, sourceLocation: SourceLocation = #_sourceLocation) {
        if worker.isRunning { kill(worker.processIdentifier, signal) }
        let exited = ProcessTable.waitForExit(of: worker, timeout: Self.workerDeadline)
        #expect(exited, "the worker did not exit within \(Int(Self.workerDeadline)) s of signal \(signal); killed it",
                sourceLocation: sourceLocation)
    }

    /// The pid the worker lock's holder wrote into it, if any.
    func lockHolder() -> Int32? {
        (try? String(contentsOfFile: stateFolder + "/worker.lock", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Kills every gitci worker of this server (by its path on their command lines); returns
    /// their pids.
    @discardableResult
    func killWorkers() -> [Int32] {
        let workers = ProcessTable.processes(containing: server.path).filter {
            ProcessTable.commandLine(of: $0).contains(" worker ")
        }
        for pid in workers { kill(pid, SIGKILL) }
        return workers
    }

    deinit {
        // A worker this test's pushes started must not outlive it: a hung one would run on
        // for the rest of the suite, and past it.
        killWorkers()
    }

    // MARK: - What gitci recorded, read with git itself

    /// The records of the commit's note on `refs/notes/gitci` in the server, one per line;
    /// empty when the commit has no note.
    func notes(_ commit: String) throws -> [[String: Any]] {
        let result = try Shell.run(["git", "notes", "--ref=gitci", "show", commit], in: server.path)
        guard result.status == 0 else { return [] }
        return try result.stdout.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FixtureError("a note line is not a JSON object: \(line)")
            }
            return object
        }
    }

    /// The pipeline records (one per finished pipeline run) of the commit's note.
    func pipelineRecords(_ commit: String) throws -> [[String: Any]] {
        try notes(commit).filter { $0["kind"] as? String == "pipeline" }
    }

    /// Every commit that has a gitci note in the server.
    func notedCommits() throws -> Set<String> {
        let result = try Shell.run(["git", "notes", "--ref=gitci", "list"], in: server.path)
        return Set(result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
    }

    // MARK: - What gitci says about it

    /// `gitci status REV --json` in the server.
    func status(_ revision: String) throws -> [String: Any] {
        try document(gitci(["status", revision, "--json"]))
    }

    /// `gitci plans --json` in the server, keyed by branch.
    func plans() throws -> [String: [String: Any]] {
        let plans = try document(gitci(["plans", "--json"]))["plans"] as? [[String: Any]] ?? []
        return Dictionary(plans.map { ($0["branch"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    func document(_ result: CommandResult) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw FixtureError("not a JSON document (exit \(result.status)): \(result.stdout)\(result.stderr)")
        }
        return object
    }

    /// The server's build queue, for what only it knows (attempts, process groups).
    func queue() throws -> BuildQueue {
        try BuildQueue.open(stateFolder: stateFolder)
    }

    /// The text of the log of job `name` recorded for `commit`.
    func log(of commit: String, job name: String) throws -> String {
        let jobs = try status(commit)["jobs"] as? [[String: Any]] ?? []
        guard let path = jobs.first(where: { $0["name"] as? String == name })?["log"] as? String else {
            throw FixtureError("no log of job \(name) for \(commit)")
        }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    // MARK: - Building blocks

    /// A shell fragment that waits (up to a minute, in case the test fails) for `path` to exist.
    static func waitFor(_ path: String) -> String {
        #"i=0; until [ -e '\#(path)' ]; do i=$((i+1)); [ $i -lt 3000 ] || exit 9; sleep 0.02; done"#
    }

    func touch(_ path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    /// The lines of a scratch file that steps append to (empty when it does not exist).
    func lines(_ name: String) -> [String] {
        ((try? String(contentsOfFile: scratch.url(name), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

/// The worker lock taken by the test itself: while it is held, hooks start no worker, so
/// pushes pile up in the queue exactly as they arrived. Taking it waits for a worker that
/// still runs (one a hook started may outlive `drain()`, having found nothing to do), for
/// `ServerFixture.workerDeadline` at most: then the server's workers are killed and the test fails.
final class HeldWorkerLock {
    private var descriptor: Int32

    init(_ fixture: ServerFixture) throws {
        descriptor = open(fixture.stateFolder + "/worker.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FixtureError("cannot open the worker lock of \(fixture.stateFolder)") }
        let deadline = Date().addingTimeInterval(ServerFixture.workerDeadline)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw FixtureError("cannot take the worker lock of \(fixture.stateFolder): \(String(cString: strerror(errno)))")
            }
            guard Date() < deadline else {
                let killed = fixture.killWorkers()
                throw FixtureError("""
                    a worker kept the lock of \(fixture.stateFolder) for \(Int(ServerFixture.workerDeadline)) s: it hangs \
                    (killed the server's workers: \(killed))
                    """)
            }
            usleep(20_000)
        }
    }

    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// Damages a queue file the way SQLite reports as corrupt: everything moved into the main file
/// (the WAL checkpointed and emptied), then one page garbled, the one holding GRDB's record of
/// the schema, which every open reads. Needs the `sqlite3` command.
func garbleSchemaRecordPage(ofQueue path: String) throws {
    let info = try Shell.run(["sqlite3", path, """
        PRAGMA wal_checkpoint(TRUNCATE); PRAGMA page_size; SELECT rootpage FROM sqlite_master WHERE name = 'grdb_migrations';
        """])
    let numbers = info.stdout.split(separator: "\n").compactMap { Int($0) }
    try #require(numbers.count == 2, "\(info.stdout)\(info.stderr)")
    let file = try #require(FileHandle(forWritingAtPath: path))
    try file.seek(toOffset: UInt64((numbers[1] - 1) * numbers[0]))
    file.write(Data(repeating: 0x5A, count: numbers[0]))
    try file.close()
}
