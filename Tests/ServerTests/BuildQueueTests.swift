import Foundation
import Store
import Testing
import TestSupport

/// Guarantees of the queue that no end-to-end test can force: they depend on chance (two
/// random run ids alike) or on a moment no signal hits reliably.
@Suite struct BuildQueueTests {
    @Test func twoBuildsNeverShareARunID() throws {
        // Run ids are a second's timestamp and 16 random bits: builds claimed in the same
        // second collide now and then, and would then share log and workspace folders.
        let state = TemporaryDirectory("gitci-state")
        let queue = try BuildQueue.open(stateFolder: state.path)
        try queue.update { transaction in
            try transaction.enqueue(commit: String(repeating: "a", count: 40), branch: "one", ref: "refs/heads/one")
            try transaction.enqueue(commit: String(repeating: "b", count: 40), branch: "two", ref: "refs/heads/two")
        }
        var offered = ["20261125-083000-3fa2", "20261125-083000-3fa2", "20261125-083000-0001"]
        let first = try #require(try queue.claim(upTo: 1) { offered.removeFirst() }.first)
        let second = try #require(try queue.claim(upTo: 1) { offered.removeFirst() }.first)
        #expect(first.runID == "20261125-083000-3fa2")
        #expect(second.runID == "20261125-083000-0001")
        #expect(try queue.claim(upTo: 1) { offered.removeFirst() }.isEmpty)
        #expect(offered.isEmpty)
    }

    static let commit = String(repeating: "a", count: 40)

    /// An update that creates `branch` at `commit`.
    static func creation(of branch: String) -> PushEvent {
        PushEvent(old: String(repeating: "0", count: 40), new: commit, ref: "refs/heads/" + branch)
    }

    @Test func takingUpAPushCompilesNothingTheWorkerDidNotCompileAhead() throws {
        // The worker a push starts compiles these statements while it reads the pipeline
        // (compileWorkerStatements); one missing from that list is compiled on the way to the build.
        let state = TemporaryDirectory("gitci-state")
        let queue = try BuildQueue.open(stateFolder: state.path)
        let commit = Self.commit, recorded = Self.creation(of: "one"), other = Self.creation(of: "two")
        try queue.record([recorded, other])
        // What any read and write brings (GRDB's own statements), before counting.
        _ = try queue.hasWork()
        queue.compileWorkerStatements()
        let compiled = queue.compiledStatements

        let pending = try queue.pendingEvents()
        #expect(pending.map(\.event) == [recorded, other])
        let claimed = try queue.update { transaction in
            for (id, event) in pending {
                let branch = String(event.ref.dropFirst("refs/heads/".count))
                try transaction.activatePlan(branch, commit: commit)
                try transaction.supersede(branch: branch, by: commit, interruptRunning: true)
                try transaction.enqueue(commit: commit, branch: branch, ref: event.ref)
                try transaction.markDone(event: id)
            }
            var runs = 0
            return try transaction.claim(upTo: 2) {
                runs += 1
                return "20261126-120000-000\(runs)"
            }
        }
        #expect(claimed.map(\.branch) == ["one", "two"])
        #expect(queue.compiledStatements == compiled)
    }

    @Test func aQueueMissingALaterMigrationGetsIt() throws {
        // Every open checks the migrations' identifiers, not the migrator (made only when needed).
        #expect(BuildQueue.schemaListsEveryMigration)
        let state = TemporaryDirectory("gitci-state")
        let path = state.path + "/" + BuildQueue.fileName
        _ = try BuildQueue.open(stateFolder: state.path)
        let older = try Shell.run(["sqlite3", path, "DROP TABLE worker_left; DELETE FROM grdb_migrations WHERE identifier = 'v4';"])
        #expect(older.status == 0, "\(older.stderr)")
        try BuildQueue.open(stateFolder: state.path).startWALOver()
        let tables = try Shell.run(["sqlite3", path, "SELECT count(*) FROM worker_left; SELECT identifier FROM grdb_migrations ORDER BY identifier;"])
        #expect(tables.stdout.split(separator: "\n") == ["1", "v1", "v2", "v3", "v4", "v5", "v6"], "\(tables.stdout)\(tables.stderr)")
    }

    @Test func aBuildKeepsWhatItWasAskedForUntilItIsClaimed() throws {
        let state = TemporaryDirectory("gitci-state")
        let queue = try BuildQueue.open(stateFolder: state.path)
        let request = BuildRequest(noCache: true, pinnedRepos: ["lib": String(repeating: "b", count: 40)],
                                   configBlob: String(repeating: "c", count: 40), triggeredBy: ["/srv/lib.git@main"])
        _ = try queue.update { try $0.enqueue(commit: String(repeating: "a", count: 40), branch: "one", ref: "refs/heads/one", request: request) }
        _ = try queue.update { try $0.enqueue(commit: String(repeating: "d", count: 40), branch: "two", ref: "refs/heads/two") }
        let claimed = try queue.claim(upTo: 2, runID: { UUID().uuidString })
        #expect(claimed.map(\.request) == [request, BuildRequest()])
        let stored = try Shell.run(["sqlite3", state.path + "/" + BuildQueue.fileName, "SELECT request FROM builds ORDER BY id"])
        #expect(stored.stdout.split(separator: "\n").last == "{}", "a plain build stores no request: \(stored.stdout)")
    }

    @Test func theLastConnectionLeavesTheQueuesFilesInPlace() throws {
        // So that the worker a push starts creates no files before its first build (gitci_keep_wal_file).
        let state = TemporaryDirectory("gitci-state")
        let path = state.path + "/" + BuildQueue.fileName
        func inodes() throws -> [UInt64] {
            try ["-wal", "-shm"].map { try #require(FileManager.default.attributesOfItem(atPath: path + $0)[.systemFileNumber] as? UInt64) }
        }
        do {
            let queue = try BuildQueue.open(stateFolder: state.path)
            _ = try queue.update { try $0.enqueue(commit: String(repeating: "a", count: 40), branch: "one", ref: "refs/heads/one") }
        }
        let kept = try inodes()
        do {
            let queue = try BuildQueue.open(stateFolder: state.path)
            #expect(try queue.claim(upTo: 5) { "20261125-083000-0001" }.map(\.branch) == ["one"])
        }
        #expect(try inodes() == kept)
    }

    @Test func aLeavingWorkerStartsTheWALOverSoThatTheNextWritesAppendToIt() throws {
        let state = TemporaryDirectory("gitci-state")
        let path = state.path + "/" + BuildQueue.fileName
        // The WAL's salts (bytes 16-23 of its header), which SQLite draws anew each time it starts
        // the WAL over, and how many frames after the header carry them: the pages it holds.
        func wal() throws -> (salts: Data, frames: Int) {
            let bytes = try #require(FileManager.default.contents(atPath: path + "-wal"))
            try #require(bytes.count >= 32, "the WAL holds no header")
            let salts = bytes.subdata(in: 16..<24)
            let frameSize = 24 + bytes.subdata(in: 8..<12).reduce(0) { $0 << 8 | Int($1) }
            var frames = 0
            while 32 + (frames + 1) * frameSize <= bytes.count {
                let frame = 32 + frames * frameSize
                guard bytes.subdata(in: (frame + 8)..<(frame + 16)) == salts else { break }
                frames += 1
            }
            return (salts, frames)
        }
        do {
            let queue = try BuildQueue.open(stateFolder: state.path)
            _ = try queue.update { try $0.enqueue(commit: String(repeating: "a", count: 40), branch: "one", ref: "refs/heads/one") }
            queue.startWALOver()
        }
        let started = try wal()
        // All but the leaving worker's own write (one page) is in the main file.
        #expect(started.frames == 1)
        let alone = TemporaryDirectory("gitci-state")
        try FileManager.default.copyItem(atPath: path, toPath: alone.path + "/" + BuildQueue.fileName)
        #expect(try BuildQueue.open(stateFolder: alone.path).latestBuild(of: String(repeating: "a", count: 40))?.branch == "one")
        // A hook recording a push, then a worker claiming a build: both append, neither starts over.
        do {
            let hook = try BuildQueue.open(stateFolder: state.path, busyTimeout: 1, durable: true)
            try hook.record([PushEvent.parse("\(String(repeating: "0", count: 40)) \(String(repeating: "b", count: 40)) refs/heads/two",
                                             options: [])])
        }
        do {
            let queue = try BuildQueue.open(stateFolder: state.path)
            #expect(try queue.claim(upTo: 5) { "20261125-083000-0001" }.map(\.branch) == ["one"])
            #expect(try queue.pendingEvents().map(\.event.ref) == ["refs/heads/two"])
        }
        let after = try wal()
        #expect(after.salts == started.salts)
        #expect(after.frames > started.frames)
    }

    @Test func aSalvagedQueueCarriesOverItsUnprocessedUpdatesOnly() throws {
        // A corrupt queue is moved aside and what it held carried over (QueueSalvage).
        let state = TemporaryDirectory("gitci-state")
        let path = state.path + "/" + BuildQueue.fileName
        let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40)
        let processed = PushEvent(old: a, new: b, ref: "refs/heads/done")
        let pending = PushEvent(old: a, new: b, ref: "refs/heads/main", options: ["ci.variable=K=V"])
        do {
            let queue = try BuildQueue.open(stateFolder: state.path)
            try queue.record([processed])
            try queue.update { transaction in
                for (id, _) in try transaction.pendingEvents(limit: 10) { try transaction.markDone(event: id) }
            }
            try queue.record([pending])
        }
        try garbleSchemaRecordPage(ofQueue: path)

        var said: [String] = []
        let fresh = try BuildQueue.openRepairing(stateFolder: state.path) { said.append($0) }
        #expect(said.count == 1 && said[0].contains("carried over what could be read: 1 unprocessed ref update,"), "\(said)")
        #expect(try fresh.pendingEvents().map(\.event) == [pending])
    }

    @Test func claimingLooksRunIDsUpInAnIndexNotAcrossEveryBuild() throws {
        // Every claim asks whether its new run id is taken; the queue keeps every build it ever had.
        let state = TemporaryDirectory("gitci-state")
        _ = try BuildQueue.open(stateFolder: state.path)
        let plan = try Shell.run(["sqlite3", state.path + "/queue.sqlite",
                                  "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM builds WHERE run_id = 'x')"], in: state.path)
        #expect(plan.stdout.contains("INDEX builds_by_run_id"), "\(plan.stdout)")
    }
}
