import Foundation
import Testing
import TestSupport

/// A queue whose rows' pages are damaged in the middle of the file (its header and schema
/// intact, so that it opens as usual): the worker finds out, moves it aside, carries over what
/// can be read, and builds what comes after.
@Suite struct CorruptQueueTests {
    /// A server whose queue holds many pushes' rows (ref updates, builds, plan branches over
    /// many pages), two pushes not yet processed and a build queued, all in the queue file
    /// itself (the WAL emptied into it); no worker runs.
    struct Damaged {
        let fixture: ServerFixture
        let main: String
        let bulk: [String]
        let kept: [String: String]
        let mainRecords: Int
        var path: String { fixture.stateFolder + "/queue.sqlite" }

        init() throws {
            fixture = try ServerFixture(pipeline: """
                jobs:
                  hello:
                    steps: ["true"]
                """)
            main = try fixture.clone.git(["rev-parse", "HEAD"])
            try fixture.pushOK(["origin", "main"])
            bulk = (1...40).map { String(format: "bulk-%02d", $0) }
            for branch in bulk { try fixture.clone.git(["branch", branch]) }
            try fixture.pushOK(["origin"] + bulk)
            try fixture.drain()
            mainRecords = try fixture.pipelineRecords(main).count

            let lock = try HeldWorkerLock(fixture)
            var kept: [String: String] = [:]
            for branch in ["keep-1", "keep-2"] {
                try fixture.clone.git(["checkout", "-q", "-b", branch, "main"])
                kept[branch] = try fixture.clone.commit(["\(branch).txt": "\(branch)\n"], message: branch)
                try fixture.pushOK(["origin", branch])
            }
            self.kept = kept
            let trigger = try fixture.gitci(["trigger", "main"])
            #expect(trigger.status == 0, "\(trigger.stderr)")
            try fixture.queue().checkpointIntoFile()
            lock.release()
        }

        /// What was carried over is built, a push after it too, and every plan branch is there.
        func expectEverythingBuilt() throws {
            try fixture.drain()
            for (branch, commit) in kept {
                #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"], "\(branch)")
            }
            #expect(try fixture.pipelineRecords(main).count == mainRecords + 1, "main's triggered build ran")
            try fixture.clone.git(["checkout", "-q", "-b", "after", "main"])
            let after = try fixture.clone.commit(["after.txt": "after\n"], message: "after")
            try fixture.pushOK(["origin", "after"])
            try fixture.drain()
            #expect(try fixture.pipelineRecords(after).map { $0["status"] as? String } == ["passed"])
            let plans = try fixture.plans()
            for branch in ["main", "after", "keep-1", "keep-2"] + bulk {
                #expect(plans[branch]?["state"] as? String == "active", "\(branch)")
            }
            let aside = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder)
            #expect(aside.contains { $0.hasPrefix("queue.sqlite.corrupt-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") },
                    "kept for inspection: \(aside)")
        }
    }

    @Test func damagedRowsOfPastBuildsAreFoundOnceIdleAndTheQueueReplaced() throws {
        // Pages of rows the worker's own queries never read: what waits is built first, then
        // the worker, idle, reads every page, and replaces the file.
        let damaged = try Damaged()
        let garbled = try garblePages(of: damaged.path, type: 0x0D, holding: "refs/heads/bulk-", sparing: ["keep-", "gitci trigger"])
        #expect(garbled >= 1)

        let drain = try damaged.fixture.gitci(["worker", "--once"])
        #expect(drain.status == 0, "\(drain.stderr)")
        #expect(drain.stderr.contains("the queue \(damaged.path) is corrupt; moved it to \(damaged.path).corrupt-"), "\(drain.stderr)")
        #expect(drain.stderr.contains("carried over what could be read: 0 unprocessed ref updates, 0 builds not yet done, 43 plan branches"),
                "\(drain.stderr)")
        try damaged.expectEverythingBuilt()
    }

    @Test func damagedIndexPagesStopThePushesUntilTheQueueIsReplacedWithWhatItHeld() throws {
        // Pages of the indexes by branch and by push, which taking up a push reads: it fails,
        // and the worker replaces the file at once, carrying over the rows (read without
        // the indexes).
        let damaged = try Damaged()
        let garbled = try garblePages(of: damaged.path, type: 0x0A, holding: "bulk-", sparing: [])
        #expect(garbled >= 1)

        let drain = try damaged.fixture.gitci(["worker", "--once"])
        #expect(drain.status == 0, "\(drain.stderr)")
        #expect(drain.stderr.contains("cannot process pushes"), "\(drain.stderr)")
        #expect(drain.stderr.contains("the queue \(damaged.path) is corrupt; moved it to \(damaged.path).corrupt-"), "\(drain.stderr)")
        #expect(drain.stderr.contains("carried over what could be read: 2 unprocessed ref updates, 1 build not yet done, 41 plan branches"),
                "\(drain.stderr)")
        try damaged.expectEverythingBuilt()
    }
}

/// Overwrites with garbage every leaf page of `type` (0x0D: a table's rows, 0x0A: an index's
/// entries) of the SQLite file at `path` that holds `text` and none of `sparing` (what a test
/// wants to survive), as a failing disk would; returns how many. The file's first page (header
/// and schema) is left alone.
func garblePages(of path: String, type: UInt8, holding text: String, sparing: [String]) throws -> Int {
    let data = try #require(FileManager.default.contents(atPath: path))
    let bytes = [UInt8](data)
    try #require(bytes.count >= 100 && bytes.starts(with: Array("SQLite format 3\0".utf8)))
    let raw = Int(bytes[16]) << 8 | Int(bytes[17])
    let pageSize = raw == 1 ? 65_536 : raw
    let wanted = Array(text.utf8)
    let spared = sparing.map { Array($0.utf8) }
    let file = try #require(FileHandle(forWritingAtPath: path))
    defer { try? file.close() }
    var garbled = 0
    for start in stride(from: pageSize, to: bytes.count, by: pageSize) {
        let page = bytes[start..<min(start + pageSize, bytes.count)]
        guard page.first == type, contains(page, wanted), !spared.contains(where: { contains(page, $0) }) else { continue }
        try file.seek(toOffset: UInt64(start))
        file.write(Data(repeating: 0x5A, count: page.count))
        garbled += 1
    }
    return garbled
}

private func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
    guard let first = needle.first, haystack.count >= needle.count else { return false }
    var index = haystack.startIndex
    while let found = haystack[index...].firstIndex(of: first) {
        if haystack[found...].starts(with: needle) { return true }
        index = haystack.index(after: found)
    }
    return false
}
