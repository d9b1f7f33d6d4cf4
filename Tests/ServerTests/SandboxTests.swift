import Foundation
import Testing
import TestSupport

/// Builds the server starts run in a sandbox: each test is an attack a pushed branch could make,
/// run by the real gitci, hook and bwrap, and checked from outside with git itself.
@Suite struct SandboxTests {
    /// Runs `command` in a step and appends `NAME: done` or `NAME: refused` to the scratch file
    /// `attacks`, so that one job tries everything and the test sees each outcome.
    static func attempt(_ name: String, _ command: String) -> String {
        let step = "if ( \(command) ) > /dev/null 2>&1; then echo '\(name): done' >> {scratch}/attacks; else echo '\(name): refused' >> {scratch}/attacks; fi"
        // YAML single-quoted: every character as it is.
        return "- '" + step.replacingOccurrences(of: "'", with: "''") + "'"
    }

    @Test func aPushedBranchCannotTouchTheServerOrOtherRepositories() throws {
        // Another installed repository, outside /tmp (a step's /tmp is its own anyway), with a
        // secret in its log and queue.
        let elsewhere = TemporaryDirectory("gitci-sandbox-other", under: "/var/tmp")
        let other = elsewhere.url("other.git")
        try Shell.run(["git", "init", "-q", "--bare", other])
        #expect(try GitciBinary.run(["install", other], in: elsewhere.path).status == 0)
        let otherState = other + "/gitci"
        try FileManager.default.createDirectory(atPath: otherState + "/logs/run", withIntermediateDirectories: true)
        try "other-secret\n".write(toFile: otherState + "/logs/run/001-secret.log", atomically: true, encoding: .utf8)
        #expect(try Shell.run(["cat", otherState + "/logs/run/001-secret.log"]).stdout == "other-secret\n")
        let fixture = try ServerFixture(pipeline: "jobs: {hello: {steps: [\"true\"]}}")
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let main = try fixture.server.git(["rev-parse", "main"])
        let notesBefore = try fixture.server.git(["rev-parse", "refs/notes/gitci"])
        let hooksBefore = try FileManager.default.contentsOfDirectory(atPath: fixture.serverPath + "/hooks").sorted()
        let postReceive = try String(contentsOfFile: fixture.serverPath + "/hooks/post-receive", encoding: .utf8)

        let server = fixture.serverPath
        let steps = [
            Self.attempt("update-ref", "git --git-dir=\(server) update-ref refs/heads/main $GITCI_COMMIT"),
            Self.attempt("forged note", "git --git-dir=\(server) notes --ref=gitci append -m '{\"v\":1,\"kind\":\"pipeline\",\"status\":\"passed\"}' main"),
            Self.attempt("write hooks", "echo 'touch /tmp/owned' > \(server)/hooks/post-receive"),
            Self.attempt("new hook", "echo 'touch /tmp/owned' > \(server)/hooks/update"),
            Self.attempt("write objects", "touch \(server)/objects/owned"),
            Self.attempt("read the queue", "cat \(fixture.stateFolder)/queue.sqlite | grep -q ."),
            Self.attempt("read other logs", "cat \(otherState)/logs/*/*.log | grep -q secret"),
            Self.attempt("read other queue", "cat \(otherState)/queue.sqlite | grep -q ."),
            Self.attempt("read other config", "cat \(other)/config | grep -q ."),
            Self.attempt("write other", "touch \(other)/owned"),
            Self.attempt("gitci home", "ls \(TestHome.path)/repositories"),
            Self.attempt("push to the server", "git push \(server) HEAD:refs/heads/main"),
            // What a step may do: its workspace, HOME and /tmp are its own.
            Self.attempt("workspace", "touch \"$GITCI_WORKSPACE/built\""),
            Self.attempt("home", "touch \"$HOME/.cache/built\""),
            Self.attempt("tmp", "touch /tmp/built"),
        ]
        try fixture.clone.git(["checkout", "-q", "-b", "feature"])
        try fixture.clone.commit([".gitci.yml": fixture.expand("jobs:\n  attack:\n    steps:\n" + steps.map { "      " + $0 }.joined(separator: "\n") + "\n")])
        let feature = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "feature"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(feature).map { $0["status"] as? String } == ["passed"])
        let outcomes = fixture.lines("attacks")
        #expect(outcomes.count == steps.count, "\(outcomes)")
        for outcome in outcomes {
            let allowed = ["workspace", "home", "tmp"].contains(where: { outcome.hasPrefix($0 + ":") })
            #expect(outcome.hasSuffix(allowed ? ": done" : ": refused"), "\(outcome)")
        }
        // Seen from outside, with git: nothing moved.
        #expect(try fixture.server.git(["rev-parse", "main"]) == main)
        #expect(try fixture.server.git(["rev-parse", "refs/notes/gitci"]) != notesBefore, "the feature build's own result is recorded")
        #expect(try fixture.notes(main).allSatisfy { $0["job"] as? String != "attack" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.serverPath + "/hooks").sorted() == hooksBefore)
        #expect(try String(contentsOfFile: fixture.serverPath + "/hooks/post-receive", encoding: .utf8) == postReceive)
        #expect(!FileManager.default.fileExists(atPath: fixture.serverPath + "/objects/owned"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/owned"))
        #expect(!FileManager.default.fileExists(atPath: other + "/owned"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/built"), "the step's /tmp is its own")
    }

    @Test func daemonsEndWithTheirJobAndBackgroundProcessesLastForItsLaterSteps() throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              daemons:
                steps:
                  - setsid sh -c 'trap "" TERM; sleep \(marker)1' > /dev/null 2>&1 &
                  - nohup sleep \(marker)2 > /dev/null 2>&1 &
                  - (sleep \(marker)3 > /dev/null 2>&1 &) &
                  - sleep \(marker)4 > /dev/null 2>&1 & echo $! > "$GITCI_WORKSPACE/background"
                  - kill -0 "$(cat "$GITCI_WORKSPACE/background")" && touch {scratch}/still-there
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        #expect(FileManager.default.fileExists(atPath: fixture.scratch.url("still-there")), "a background process lasts for the next step")
        // Gone once the job has ended: no waiting.
        #expect(ProcessTable.processes(containing: "sleep \(marker)").isEmpty)
        #expect(ProcessTable.processes(containing: fixture.serverPath).isEmpty, "no bwrap or init left")
    }

    @Test func aJobThatTimesOutTakesItsDaemonsWithIt() throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              slow:
                timeout: 2s
                steps:
                  - setsid sh -c 'trap "" TERM; sleep \(marker)' > /dev/null 2>&1 &
                  - touch {scratch}/started; trap '' TERM; sleep \(marker)
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        #expect(FileManager.default.fileExists(atPath: fixture.scratch.url("started")))
        let jobs = try fixture.status(commit)["jobs"] as? [[String: Any]] ?? []
        #expect(jobs.first?["status"] as? String == "failed")
        #expect(ProcessTable.processes(containing: "sleep \(marker)").isEmpty)
    }

    @Test func aSandboxedStepDiesWithAKilledWorkerAndTheBuildRunsAgain() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let fixture = try ServerFixture(pipeline: """
            jobs:
              block:
                steps:
                  - |
                    echo attempt >> {scratch}/attempts
                    if [ ! -e {scratch}/second-attempt ]; then
                      setsid sh -c 'trap "" TERM; sleep \(marker)' > /dev/null 2>&1 &
                      touch {scratch}/started
                      sleep \(marker)
                    fi
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        #expect(await Poll.untilExists(fixture.scratch.url("started")))
        #expect(await Poll.until { ProcessTable.processes(containing: "sleep \(marker)").count >= 3 }, "the step, its sleep, the daemon")
        let pidText = try String(contentsOfFile: fixture.stateFolder + "/worker.lock", encoding: .utf8)
        let worker = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(worker, SIGKILL) == 0)

        // The job's namespace goes with the worker: nothing is left for a successor to hunt.
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
        fixture.touch(fixture.scratch.url("second-attempt"))
        try fixture.drain()
        #expect(fixture.lines("attempts").count == 2)
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
    }

    @Test func homeIsWritableAndKeptBetweenBuildsOfARepository() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              cache:
                steps:
                  - echo "$GITCI_COMMIT" >> "$XDG_CACHE_HOME/builds"
                  - cp "$XDG_CACHE_HOME/builds" {scratch}/builds; echo "$HOME" > {scratch}/home
            """)
        let first = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()
        let second = try fixture.clone.commit(["more": "1"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        #expect(fixture.lines("builds") == [first, second])
        let home = try #require(fixture.lines("home").first)
        #expect(home.hasPrefix(fixture.stateFolder), "\(home)")
        #expect(home != NSHomeDirectory())
    }

    /// A writable folder that holds the repository (a scratch folder, a checkout of many
    /// repositories) must not show it: the hidden folder comes after the writable one.
    @Test func aWritableFolderHoldingTheRepositoryStillHidesIt() throws {
        let fixture = try ServerFixture(pipeline: nil)
        let parent = (fixture.serverPath as NSString).deletingLastPathComponent
        try fixture.server.git(["config", "--add", "gitci.sandboxWritable", parent])
        let commit = try fixture.clone.commit([".gitci.yml": fixture.expand("""
            jobs:
              look:
                steps:
                  - if test -e \(fixture.serverPath)/HEAD; then echo seen; else echo hidden; fi > {scratch}/repository
            """)])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        #expect(fixture.lines("repository") == ["hidden"])
    }

    @Test func stepsShareTheMachinesNetworkButNotItsProcesses() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              namespaces:
                steps:
                  - readlink /proc/self/ns/net > {scratch}/net; readlink /proc/self/ns/pid > {scratch}/pid
            """)
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        let own = { (kind: String) in try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)") }
        #expect(fixture.lines("net") == [try own("net")], "the network is the machine's: builds install packages")
        #expect(fixture.lines("pid").count == 1)
        #expect(fixture.lines("pid") != [try own("pid")])
    }

    @Test func sandboxOffBuildsStraightOnTheMachine() throws {
        let fixture = try ServerFixture(pipeline: nil)
        try fixture.server.git(["config", "gitci.sandbox", "off"])
        let commit = try fixture.clone.commit([".gitci.yml": fixture.expand("""
            jobs:
              plain:
                steps:
                  - readlink /proc/self/ns/pid > {scratch}/pid; test -f \(fixture.serverPath)/HEAD
            """)])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"])
        #expect(fixture.lines("pid") == [try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")])
    }

    @Test func installRegistersTheRepositoryAndUninstallTakesItOff() throws {
        let home = TemporaryDirectory("gitci-home")
        let repository = try GitFixture(bare: true)
        let registry = home.url("repositories")
        let resolved = URL(fileURLWithPath: repository.path).resolvingSymlinksInPath().path
        let install = try GitciBinary.run(["install", repository.path], in: home.path, environment: ["GITCI_HOME": home.path])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(try String(contentsOfFile: registry, encoding: .utf8) == resolved + "\n")
        var status = stat()
        #expect(stat(registry, &status) == 0 && status.st_mode & 0o777 == 0o600)

        let uninstall = try GitciBinary.run(["uninstall", repository.path], in: home.path, environment: ["GITCI_HOME": home.path])
        #expect(uninstall.status == 0, "\(uninstall.stderr)")
        #expect(try String(contentsOfFile: registry, encoding: .utf8) == "")
    }

    // MARK: - A machine without user namespaces

    /// A bwrap that fails the way bwrap does where user namespaces are not allowed.
    static func failingBwrap(in folder: TemporaryDirectory) throws -> String {
        let path = folder.url("bwrap")
        try "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func withoutNamespacesTheServerRefusesToBuildAndInstallSaysSo() throws {
        let fixture = try ServerFixture(pipeline: "jobs: {hello: {steps: [\"touch {scratch}/ran\"]}}")
        let bwrap = try Self.failingBwrap(in: fixture.scratch)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        do {
            // No worker from the hook: the one below runs with the failing bwrap.
            let lock = try HeldWorkerLock(fixture)
            try fixture.pushOK(["origin", "main"])
            lock.release()
        }
        let drained = try fixture.gitci(["worker", "--once"], environment: ["GITCI_BWRAP": bwrap])
        #expect(drained.status == 0, "\(drained.stderr)")

        #expect(!FileManager.default.fileExists(atPath: fixture.scratch.url("ran")), "nothing ran unprotected")
        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["failed"])
        let status = try fixture.gitci(["status", commit])
        #expect(status.stdout.contains("user namespaces"), "\(status.stdout)")
        #expect(status.stdout.contains("gitci.sandbox off"), "\(status.stdout)")

        let install = try GitciBinary.run(["install", fixture.serverPath], in: fixture.scratch.path, environment: ["GITCI_BWRAP": bwrap])
        #expect(install.status == 0)
        #expect(install.stderr.contains("warning"), "\(install.stderr)")
        #expect(install.stderr.contains("No permissions to creating new namespace"), "\(install.stderr)")
        #expect(install.stderr.contains("gitci.sandbox off"), "\(install.stderr)")

        // Said explicitly, the repository builds without one, and install no longer warns.
        try fixture.server.git(["config", "gitci.sandbox", "off"])
        let next = try fixture.clone.commit(["more": "1"])
        do {
            let lock = try HeldWorkerLock(fixture)
            try fixture.pushOK(["origin", "main"])
            lock.release()
        }
        #expect(try fixture.gitci(["worker", "--once"], environment: ["GITCI_BWRAP": bwrap]).status == 0)
        #expect(try fixture.pipelineRecords(next).map { $0["status"] as? String } == ["passed"])
        let quiet = try GitciBinary.run(["install", fixture.serverPath], in: fixture.scratch.path, environment: ["GITCI_BWRAP": bwrap])
        #expect(!quiet.stderr.contains("warning"), "\(quiet.stderr)")
    }

    // MARK: - Modes

    @Test func pushOptionValuesAreReadableByTheUserAlone() throws {
        let fixture = try ServerFixture(pipeline: "jobs: {hello: {steps: [\"echo $TOKEN\"]}}")
        // A state folder as an older gitci left it.
        chmod(fixture.stateFolder, 0o755)
        chmod(fixture.stateFolder + "/queue.sqlite", 0o644)
        try fixture.pushOK(["-o", "ci.variable=TOKEN=s3cret", "origin", "main"])
        try fixture.drain()

        func mode(_ path: String) -> mode_t? {
            var status = stat()
            return stat(path, &status) == 0 ? status.st_mode & 0o777 : nil
        }
        #expect(mode(fixture.stateFolder) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder).filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: fixture.stateFolder + "/" + name, isDirectory: &isFolder) && !isFolder.boolValue
        }
        #expect(files.contains("queue.sqlite"))
        for name in files where name.hasPrefix("queue.sqlite") || name.hasPrefix("index.sqlite") || name.hasSuffix(".log") {
            #expect(mode(fixture.stateFolder + "/" + name) == 0o600, "\(name)")
        }
        let logs = try #require(FileManager.default.enumerator(atPath: fixture.stateFolder + "/logs")).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".log") }
        #expect(!logs.isEmpty)
        for log in logs { #expect(mode(fixture.stateFolder + "/logs/" + log) == 0o600, "\(log)") }
    }
}
