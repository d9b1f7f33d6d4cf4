import Foundation
import GitKit
import Store
import Testing
import TestSupport

/// Finding a passed run by cache key in the index: only a job's result counts, a reused record
/// leads to the run that did the work, and an index made before cache keys fills them in.
@Suite struct CacheLookupTests {
    static let key = String(repeating: "a", count: 40)
    static let otherKey = String(repeating: "b", count: 40)

    func job(_ name: String, _ status: String, key: String?, at seconds: Double, run: String, reusedFrom: String? = nil) -> NoteRecord {
        var record = Records.job(name, status, at: seconds, run: run)
        record.cacheKey = key
        record.reusedFrom = reusedFrom
        return record
    }

    @Test func onlyTheNewestResultOfAJobOnACommitCounts() throws {
        let setup = try IndexedRepository(commits: 2)
        let repository = try setup.repository()
        let (first, second) = (setup.commits[0], setup.commits[1])
        try setup.record([job("build", "passed", key: Self.key, at: 100, run: "r1")], on: first, in: repository)
        // A later run of the second commit passed, then failed with the same key: its result
        // there is the failure.
        try setup.record([job("build", "passed", key: Self.key, at: 200, run: "r2")], on: second, in: repository)
        try setup.record([job("build", "failed", key: Self.key, at: 300, run: "r3")], on: second, in: repository)
        let index = try setup.openIndex(repository)
        let found = try index.reusableRuns(forKeys: [Self.key, Self.otherKey])
        #expect(found.keys.sorted() == [Self.key])
        #expect(found[Self.key]?.commit == first)
        #expect(found[Self.key]?.job == "build")
    }

    @Test func aReusedRecordLeadsToTheRunThatDidTheWork() throws {
        let setup = try IndexedRepository(commits: 3)
        let repository = try setup.repository()
        try setup.record([job("build", "passed", key: Self.key, at: 100, run: "r1")], on: setup.commits[0], in: repository)
        try setup.record([job("build", "reused", key: Self.key, at: 200, run: "r2", reusedFrom: setup.commits[0])],
                         on: setup.commits[1], in: repository)
        let found = try setup.openIndex(repository).reusableRuns(forKeys: [Self.key])
        #expect(found[Self.key]?.foundOn == setup.commits[1])
        #expect(found[Self.key]?.commit == setup.commits[0])
    }

    @Test func anIndexMadeBeforeCacheKeysFillsThemInFromItsLines() throws {
        let setup = try IndexedRepository(commits: 1)
        let repository = try setup.repository()
        try setup.record([job("build", "passed", key: Self.key, at: 100, run: "r1")], on: setup.commits[0], in: repository)
        _ = try setup.openIndex(repository)
        // The index as the version before cache keys left it.
        let older = try Shell.run(["sqlite3", setup.indexPath, """
            DROP INDEX records_by_cache_key; ALTER TABLE records DROP COLUMN cache_key;
            DELETE FROM grdb_migrations WHERE identifier = 'v2';
            """])
        #expect(older.status == 0, "\(older.stderr)")
        let found = try setup.openIndex(repository).reusableRuns(forKeys: [Self.key])
        #expect(found[Self.key]?.commit == setup.commits[0])
        let column = try Shell.run(["sqlite3", setup.indexPath, "SELECT cache_key FROM records WHERE kind = 'job'"])
        #expect(column.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == Self.key)
    }
}
