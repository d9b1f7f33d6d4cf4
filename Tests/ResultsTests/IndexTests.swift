import Foundation
import Testing
import TestSupport

/// The SQLite index behind `status` and `log`: only a cache of the notes, rebuilt by
/// `gitci reindex`, and rebuilt by itself when its file is damaged or gone.
@Suite struct IndexTests {
    /// A history with every kind of result: passed, failed after a rerun, a config error, none.
    static func history() throws -> ResultsRepository {
        let repo = try ResultsRepository()
        try repo.record()
        try repo.fixture.commit(["a.txt": "a\n"], message: "second")
        try repo.record()
        try repo.record(unit: "fail", expect: 1)
        try repo.fixture.commit([".gitci.yml": Pipelines.broken], message: "break the pipeline")
        try repo.gitci(["run", "--record", "--commit", "HEAD"])
        try repo.fixture.commit([".gitci.yml": Pipelines.twoJobs], message: "fix the pipeline")
        try repo.fixture.commit(["b.txt": "b\n"], message: "no result")
        return repo
    }

    /// Everything `status` and `log` answer for the history, as raw `--json` output.
    static func answers(_ repo: ResultsRepository) throws -> [String] {
        let commits = try repo.git(["rev-list", "HEAD"]).split(separator: "\n").map(String.init)
        var outputs: [String] = []
        for commit in commits {
            let result = try repo.gitci(["status", commit, "--json"])
            outputs.append("\(result.status) \(result.stdout)")
        }
        let log = try repo.gitci(["log", "--json"])
        outputs.append("\(log.status) \(log.stdout)")
        return outputs
    }

    @Test func reindexGivesIdenticalAnswers() throws {
        let repo = try Self.history()
        let before = try Self.answers(repo)
        #expect(before.contains { $0.contains(#""status" : "config-error""#) })
        #expect(before.contains { $0.hasPrefix("1 ") && $0.contains(#""status" : "none""#) })

        let reindex = try repo.gitci(["reindex"])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        // 3 + 6 + 1 records on the 3 commits that have results.
        #expect(reindex.stdout.contains("indexed 10 results on 3 commits"), "\(reindex.stdout)")
        #expect(try Self.answers(repo) == before)
    }

    @Test func reindexWorksWithoutAnyNotes() throws {
        let repo = try ResultsRepository()
        let result = try repo.gitci(["reindex"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("indexed 0 results on 0 commits"))
    }

    @Test func aCorruptIndexFileIsRebuiltWithAMessage() throws {
        let repo = try Self.history()
        let before = try Self.answers(repo)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: repo.indexPath + suffix) }
        try Data((0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }).write(to: URL(fileURLWithPath: repo.indexPath))

        let status = try repo.gitci(["status", "HEAD~3", "--json"])
        #expect(status.status == 1)
        #expect(status.stderr.contains(repo.indexPath), "\(status.stderr)")
        #expect(status.stderr.contains("rebuilding"), "\(status.stderr)")
        #expect(try jsonObject(status.stdout)["status"] as? String == "failed")
        #expect(try Self.answers(repo) == before)
        let header = try #require(FileManager.default.contents(atPath: repo.indexPath)).prefix(16)
        #expect(Array(header) == Array("SQLite format 3\0".utf8))
    }

    @Test func aCorruptIndexIsRebuiltByReindexToo() throws {
        let repo = try Self.history()
        let before = try Self.answers(repo)
        try Data(repeating: 0xAB, count: 4096).write(to: URL(fileURLWithPath: repo.indexPath))
        let reindex = try repo.gitci(["reindex"])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(reindex.stderr.contains("rebuilding"))
        #expect(try Self.answers(repo) == before)
    }

    /// Damages every 4 KiB page of the index past the schema and the first small tables, in an
    /// index built in one go (so with no free pages that opening it could reuse): only a query
    /// reading the results finds the damage.
    static func damageWhatOnlyAReadFinds(_ repo: ResultsRepository) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: repo.indexPath + suffix) }
        #expect(try repo.gitci(["log"]).status == 0)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: repo.indexPath)))
        #expect(bytes.count > 6 * 4096)
        for offset in (5 * 4096)..<bytes.count { bytes[offset] = UInt8(truncatingIfNeeded: offset &* 31 &+ 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: repo.indexPath))
    }

    @Test func damageThatOnlyAReadFindsIsRebuiltToo() throws {
        let repo = try Self.history()
        let before = try Self.answers(repo)
        try Self.damageWhatOnlyAReadFinds(repo)

        let status = try repo.gitci(["status", "HEAD~3", "--json"])
        #expect(status.status == 1, "\(status.stderr)")
        #expect(try jsonObject(status.stdout)["status"] as? String == "failed")
        #expect(status.stderr.contains("rebuilding"), "\(status.stderr)")
        #expect(try Self.answers(repo) == before)
    }

    @Test func reindexRepairsDamageThatOnlyAReadFinds() throws {
        let repo = try Self.history()
        let before = try Self.answers(repo)
        try Self.damageWhatOnlyAReadFinds(repo)
        let reindex = try repo.gitci(["reindex"])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(try Self.answers(repo) == before)
    }

    @Test func aDeletedIndexIsRebuiltFromTheNotes() throws {
        let repo = try Self.history()
        let before = try Self.answers(repo)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: repo.indexPath + suffix) }
        let status = try repo.gitci(["status", "HEAD~3", "--json"])
        #expect(status.status == 1)
        #expect(try jsonObject(status.stdout)["status"] as? String == "failed")
        #expect(FileManager.default.fileExists(atPath: repo.indexPath))
        #expect(try Self.answers(repo) == before)
    }
}
