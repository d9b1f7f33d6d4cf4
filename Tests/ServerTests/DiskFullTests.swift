import Foundation
import Testing
import TestSupport

/// A disk that fills up while a build runs, for real: the server's repository (or only its
/// state folder) on a small file system that a step's wait lets the test fill. The job fails,
/// saying why; `gitci status` answers meanwhile; once space is back the result is recorded and
/// nothing stays running.
@Suite struct DiskFullTests {
    /// The step of a job that passes at once, unless `{scratch}/hold` exists: then it waits for
    /// the test to fill the disk.
    static let waitStep = """
        : {marker}
        if [ -e {scratch}/hold ]; then
          touch {scratch}/started
          i=0; until [ -e {scratch}/full ]; do i=$((i+1)); [ $i -lt 3000 ] || exit 9; sleep 0.02; done
          seq 1 5000
        fi
        """

    /// One job, which writes more than a page of output into the full disk.
    static let oneJob = """
        jobs:
          write:
            steps:
              - |
        \(waitStep.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))
        """

    /// Many jobs, most of which start once the disk is full: each one's statuses are writes to
    /// the queue, more than its write-ahead log (grown by the one job of the first build only)
    /// has room for without growing.
    static let manyJobs = """
        jobs:
          many:
            matrix:
              n: [\((1...60).map(String.init).joined(separator: ", "))]
            steps:
              - |
        \(waitStep.split(separator: "\n").map { "          " + $0 }.joined(separator: "\n"))
        """

    /// A server repository whose `gitci` state lives on `disk` (all of it with `whole`, else the
    /// state folder alone), a working copy, and the first build done (the index exists).
    final class Setup {
        let root = TemporaryDirectory("gitci-disk")
        let scratch = TemporaryDirectory("gitci-scratch")
        let marker = "gitci-disk-\(UUID().uuidString)"
        let disk: SmallDisk
        let server: String
        let clone: GitFixture

        init(whole: Bool) async throws {
            if whole {
                disk = try await SmallDisk(at: root.url("disk"), megabytes: 4)
                server = disk.mountPoint + "/server.git"
                try disk.check(["git", "init", "-q", "--bare", "-b", "main", server])
            } else {
                server = root.url("server.git")
                try Shell.run(["git", "init", "-q", "--bare", "-b", "main", server])
                disk = try await SmallDisk(at: server + "/gitci", megabytes: 4)
            }
            try disk.check([GitciBinary.path, "install", server])
            try disk.check(["git", "-C", server, "config", "gitci.workerLinger", "0"])
            // The step talks to the test through files outside its workspace.
            try disk.check(["git", "-C", server, "config", "gitci.sandbox", "off"])
            clone = try GitFixture()
            try clone.git(["remote", "add", "origin", server])
            try clone.commit([".gitci.yml": expand(DiskFullTests.oneJob)], message: "pipeline")
            try push()
            try disk.check([GitciBinary.path, "worker", "--once", "-C", server])
        }

        func expand(_ pipeline: String) -> String {
            pipeline.replacingOccurrences(of: "{scratch}", with: scratch.path).replacingOccurrences(of: "{marker}", with: marker)
        }

        func push() throws {
            try disk.check(["git", "push", "-q", "origin", "main"], in: clone.path)
        }

        func gitci(_ arguments: [String]) throws -> CommandResult {
            try disk.run([GitciBinary.path] + arguments + ["-C", server])
        }

        func statusDocument(_ commit: String) throws -> (status: Int32, document: [String: Any], stderr: String) {
            let result = try gitci(["status", commit, "--json"])
            let document = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
            return (result.status, document, result.stderr)
        }

        func note(_ commit: String) throws -> [[String: Any]] {
            let result = try disk.run(["git", "-C", server, "notes", "--ref=gitci", "show", commit])
            guard result.status == 0 else { return [] }
            return result.stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        /// Starts a build of a new commit (with `pipeline`) that waits in its steps, fills the
        /// disk, and lets the steps write into the full disk; returns once they have ended.
        func buildIntoAFullDisk(pipeline: String = DiskFullTests.oneJob) async throws -> String {
            _ = FileManager.default.createFile(atPath: scratch.url("hold"), contents: nil)
            let commit = try clone.commit(["two.txt": "two\n", ".gitci.yml": expand(pipeline)], message: "two")
            try push()
            #expect(await Poll.untilExists(scratch.url("started")))
            try disk.fill()
            #expect(try disk.available() == 0)
            _ = FileManager.default.createFile(atPath: scratch.url("full"), contents: nil)
            #expect(await Poll.until(timeout: 60) { ProcessTable.processes(containing: marker).isEmpty }, "the steps ended")
            return commit
        }
    }

    @Test func theJobFailsSayingWhyAndItsResultIsRecordedOnceSpaceIsBack() async throws {
        let setup = try await Setup(whole: true)
        let commit = try await setup.buildIntoAFullDisk()

        // While the disk is full: nothing can be written (the notes neither), the worker holds
        // the result, and `gitci status` answers.
        let (code, document, stderr) = try setup.statusDocument(commit)
        #expect(code != 0 && code != 2, "\(stderr)")
        #expect(document["status"] as? String == "running", "\(document) \(stderr)")
        #expect(try setup.note(commit).isEmpty)

        try setup.disk.free()
        #expect(await Poll.until(timeout: 60) { (try? setup.note(commit).isEmpty) == false }, "recorded once space is back")
        let records = try setup.note(commit)
        #expect(records.filter { $0["kind"] as? String == "pipeline" }.map { $0["status"] as? String } == ["failed"])
        let job = try #require(records.first { $0["kind"] as? String == "job" })
        #expect(job["status"] as? String == "failed")
        #expect((job["reason"] as? String)?.contains("No space left on device") == true, "\(job)")
        #expect((job["reason"] as? String)?.contains("cannot write the log") == true, "\(job)")
        #expect(await Poll.until { (try? setup.statusDocument(commit).document["status"] as? String) == "failed" },
                "nothing stays running")
        let after = try setup.statusDocument(commit)
        #expect(after.status == 1, "\(after.stderr)")
        let log = try setup.disk.check(["cat", setup.server + "/gitci/worker.log"])
        #expect(log.contains("holding them until they can be written"), "\(log)")
        // And the worker, its work done, left (it never hung).
        let pid = try #require(Int32(try setup.disk.check(["cat", setup.server + "/gitci/worker.lock"])
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await Poll.until(timeout: 60) { ProcessTable.hasExited(pid) })
        #expect(log.contains("build 2 of \(commit.prefix(10)): recorded now"), "\(log)")
    }

    @Test func aQueueThatCannotBeWrittenKeepsTheBuildRunningUntilSpaceIsBack() async throws {
        // Only the state folder is on the small disk: the notes can be written, the queue's
        // and the index's SQLite files cannot grow (SQLITE_FULL).
        let setup = try await Setup(whole: false)
        let commit = try await setup.buildIntoAFullDisk(pipeline: DiskFullTests.manyJobs)

        #expect(await Poll.until(timeout: 60) { (try? setup.note(commit).isEmpty) == false }, "the notes took the results")
        let records = try setup.note(commit)
        #expect(records.filter { $0["kind"] as? String == "pipeline" }.map { $0["status"] as? String } == ["failed"])
        #expect(records.contains { ($0["reason"] as? String)?.contains("No space left on device") == true }, "\(records)")
        // The queue could not be told: the build is running still, and `gitci status` says so,
        // warning that the index could not take in the newest notes.
        let (code, document, stderr) = try setup.statusDocument(commit)
        #expect(code != 0 && code != 2, "\(stderr)")
        #expect(document["status"] as? String == "running", "\(document) \(stderr)")
        #expect(stderr.contains("cannot take in the newest notes"), "\(stderr)")

        try setup.disk.free()
        #expect(await Poll.until(timeout: 60) { (try? setup.statusDocument(commit).document["status"] as? String) == "failed" },
                "nothing stays running")
        #expect(try setup.note(commit).filter { $0["kind"] as? String == "pipeline" }.count == 1, "recorded once")
        let log = try setup.disk.check(["cat", setup.server + "/gitci/worker.log"])
        #expect(log.contains("cannot mark build 2 of \(commit.prefix(10)) done (SQLite error 13: database or disk is full"), "\(log)")
        #expect(log.contains("build 2 of \(commit.prefix(10)): recorded now"), "\(log)")
    }
}
