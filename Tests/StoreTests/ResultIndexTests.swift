import Foundation
import GitKit
import Store
import Testing
import TestSupport

/// A real repository with a few commits, its notes written by gitci or by `git notes`, and the
/// SQLite index in the repository's state folder, as `gitci` keeps it.
final class IndexedRepository {
    let fixture: GitFixture
    let commits: [String]

    init(commits count: Int = 3) throws {
        fixture = try GitFixture()
        var made: [String] = []
        for number in 1...count { made.append(try fixture.commit(["file.txt": "\(number)\n"], message: "commit \(number)")) }
        commits = made
    }

    var stateFolder: String { fixture.directory.url(".git/gitci") }
    var indexPath: String { (stateFolder as NSString).appendingPathComponent(ResultIndex.fileName) }

    func repository() throws -> Repository { try Repository.open(fixture.path) }

    func id(_ hex: String) throws -> ObjectID { try #require(ObjectID(hex: hex)) }

    /// Opens the index; what it reported is in `messages`.
    func openIndex(_ repository: Repository, messages: inout [String]) throws -> ResultIndex {
        var reported: [String] = []
        let index = try ResultIndex.open(stateFolder: stateFolder, repository: repository) { reported.append($0) }
        messages += reported
        return index
    }

    func openIndex(_ repository: Repository) throws -> ResultIndex {
        var ignored: [String] = []
        return try openIndex(repository, messages: &ignored)
    }

    /// Appends records to the notes the way gitci does.
    func record(_ records: [NoteRecord], on commit: String, in repository: Repository) throws {
        let target = try id(commit)
        try NotesWriter.append(records.map { (target, $0) }, in: repository, message: "test")
    }

    /// The note of `commit` as the real `git` shows it.
    func gitNote(_ commit: String) throws -> String {
        try fixture.git(["notes", "--ref=gitci", "show", commit])
    }
}

/// What the index answers for `commit`, in a form that compares.
struct Answer: Equatable {
    var status: String
    var jobs: [NoteRecord]
    var pipeline: NoteRecord?
    var records: Set<NoteRecord>

    init(_ results: CommitResults) {
        status = results.status
        jobs = results.jobs
        pipeline = results.pipeline
        records = Set(results.allRecords)
    }
}

@Suite struct ResultIndexTests {
    static let runOne = [Records.job("compile", "passed", at: 1000), Records.job("unit", "failed", at: 1001),
                         Records.pipeline("failed", at: 1000, ms: 5000)]
    static let runTwo = [Records.job("unit", "passed", at: 2000, run: "run-2"),
                         Records.pipeline("passed", at: 2000, ms: 3000, run: "run-2")]

    // MARK: - Opening and reading

    @Test func anIndexOpenedOnExistingNotesAnswersWhatTheNotesSay() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        try setup.record(Self.runOne + Self.runTwo, on: setup.commits[1], in: repository)

        let index = try setup.openIndex(repository)
        for commit in setup.commits.prefix(2) {
            let fromGit = CommitResults(commit: commit, text: try setup.gitNote(commit))
            #expect(Answer(try index.results(of: try setup.id(commit))) == Answer(fromGit))
        }
        #expect(try index.results(of: try setup.id(setup.commits[0])).status == "failed")
        #expect(try index.results(of: try setup.id(setup.commits[1])).status == "passed")
        #expect(try index.results(of: try setup.id(setup.commits[2])).status == CommitResults.none)

        let ids = try setup.commits.map(setup.id)
        let summaries = try index.summaries(of: ids)
        #expect(summaries[ids[0]]?.status == "failed")
        #expect(summaries[ids[1]]?.status == "passed")
        #expect(summaries[ids[1]]?.finished == 2003)
        #expect(summaries[ids[2]] == nil)
        #expect(try index.counts() == (records: 8, commits: 2))
    }

    @Test func everyOpenChecksTheMigrationsTheMigratorRegisters() {
        #expect(ResultIndex.schemaListsEveryMigration)
    }

    @Test func theIndexIsAnSQLiteFileInWALModeInTheStateFolder() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let index = try setup.openIndex(repository)
        #expect(index.path == setup.indexPath)
        let header = try #require(FileManager.default.contents(atPath: setup.indexPath)).prefix(20)
        #expect(Array(header.prefix(16)) == Array("SQLite format 3\0".utf8))
        // Bytes 18 and 19 are the read/write format versions: 2 means WAL.
        #expect(Array(header.suffix(2)) == [2, 2])
        #expect(FileManager.default.fileExists(atPath: setup.indexPath + "-wal"))
    }

    @Test func aRepositoryWithoutNotesHasAnEmptyIndex() throws {
        let setup = try IndexedRepository()
        let index = try setup.openIndex(try setup.repository())
        #expect(try index.counts() == (records: 0, commits: 0))
        #expect(try index.results(of: try setup.id(setup.commits[0])).status == CommitResults.none)
    }

    @Test func malformedLinesAreReportedWithCommitAndLineAndTheRestCounts() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        let commit = setup.commits[0]
        let text = [Self.runOne[0].line(), "this is not json", Self.runOne[1].line(),
                    #"{"v":99,"kind":"job","pipeline":"x","job":"unit","status":"passed","started":"2030-01-01T00:00:00Z","duration_ms":1}"#,
                    Self.runOne[2].line()].joined(separator: "\n")
        try setup.fixture.git(["notes", "--ref=gitci", "add", "-m", text, commit])

        var messages: [String] = []
        let index = try setup.openIndex(repository, messages: &messages)
        let warnings = messages.filter { $0.contains("warning") }
        #expect(warnings.count == 2, "\(messages)")
        #expect(warnings.contains { $0.contains(String(commit.prefix(10))) && $0.contains("line 2") })
        #expect(warnings.contains { $0.contains(String(commit.prefix(10))) && $0.contains("line 4") && $0.contains("version 99") })
        let results = try index.results(of: try setup.id(commit))
        #expect(results.allRecords.count == 3)
        #expect(results.status == "failed")

        // A note already indexed is not read (nor warned about) again.
        var again: [String] = []
        _ = try setup.openIndex(repository, messages: &again)
        #expect(again.isEmpty, "\(again)")
    }

    // MARK: - Catching up when the notes moved

    @Test func aNoteAppendedByGitIsReadOnCatchUp() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let index = try setup.openIndex(repository)
        #expect(try index.results(of: try setup.id(setup.commits[0])).status == "failed")

        // Someone else appends a newer run with the git command line.
        try setup.fixture.git(["notes", "--ref=gitci", "append", "-m", Records.text(Self.runTwo), setup.commits[0]])
        try setup.fixture.git(["notes", "--ref=gitci", "add", "-m", Records.text(Self.runOne), setup.commits[2]])
        #expect(try index.catchUp(repository) == 2)
        #expect(try index.results(of: try setup.id(setup.commits[0])).status == "passed")
        #expect(try index.results(of: try setup.id(setup.commits[2])).status == "failed")
        #expect(try index.catchUp(repository) == 0)

        // A fresh open (another process) sees the same.
        let reopened = try setup.openIndex(repository)
        #expect(Answer(try reopened.results(of: try setup.id(setup.commits[0])))
            == Answer(CommitResults(commit: setup.commits[0], text: try setup.gitNote(setup.commits[0]))))
    }

    @Test func aNoteRemovedByGitIsForgotten() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        try setup.record(Self.runTwo, on: setup.commits[1], in: repository)
        let index = try setup.openIndex(repository)
        try setup.fixture.git(["notes", "--ref=gitci", "remove", setup.commits[0]])
        try index.catchUp(repository)
        let ids = try setup.commits.map(setup.id)
        #expect(try index.results(of: ids[0]).status == CommitResults.none)
        #expect(try index.summaries(of: ids).keys.sorted() == [ids[1]])
        #expect(try index.counts() == (records: 2, commits: 1))
    }

    @Test func aDeletedNotesRefEmptiesTheIndex() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let index = try setup.openIndex(repository)
        try setup.fixture.git(["update-ref", "-d", ResultIndex.notesRef])
        try index.catchUp(repository)
        #expect(try index.counts() == (records: 0, commits: 0))
        #expect(try index.results(of: try setup.id(setup.commits[0])).status == CommitResults.none)
    }

    @Test func aRewrittenNotesHistoryWhoseOldCommitIsGoneIsReadAfresh() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let index = try setup.openIndex(repository)

        // Replace the notes with an unrelated history and let git collect the old one.
        try setup.fixture.git(["update-ref", "-d", ResultIndex.notesRef])
        try setup.fixture.git(["notes", "--ref=gitci", "add", "-m", Records.text(Self.runTwo), setup.commits[1]])
        try setup.fixture.git(["reflog", "expire", "--expire=now", "--all"])
        try setup.fixture.git(["gc", "-q", "--prune=now"])

        try index.catchUp(repository)
        #expect(try index.results(of: try setup.id(setup.commits[0])).status == CommitResults.none)
        #expect(try index.results(of: try setup.id(setup.commits[1])).status == "passed")
        #expect(try index.counts() == (records: 2, commits: 1))
    }

    @Test func manyNotesAreIndexedInBatchesAndCaughtUpAfter() throws {
        let setup = try IndexedRepository(commits: 1)
        let repository = try setup.repository()
        // More annotated commits than one catch-up batch holds (their objects need not exist).
        let targets = (0..<2600).map { number in ObjectID(hex: String(format: "%040x", number * 7919 + 1))! }
        let record = Records.job("unit", "passed", at: 100)
        try NotesWriter.append(targets.map { ($0, record) }, in: repository, message: "many")
        #expect(try setup.fixture.git(["notes", "--ref=gitci", "list"]).split(separator: "\n").count == 2600)

        let index = try setup.openIndex(repository)
        #expect(try index.counts() == (records: 2600, commits: 2600))
        #expect(try index.summaries(of: targets).count == 2600)

        try NotesWriter.append([(targets[1234], Records.job("unit", "failed", at: 200))], in: repository, message: "one more")
        #expect(try index.catchUp(repository) == 1)
        #expect(try index.results(of: targets[1234]).status == "failed")
        #expect(try index.results(of: targets[1235]).status == "passed")
    }

    // MARK: - Rebuilding

    @Test func aRebuildGivesIdenticalAnswers() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let index = try setup.openIndex(repository)
        // Indexed in two steps, so that the rebuild reads in one what catch-up read in two.
        try setup.record(Self.runTwo, on: setup.commits[0], in: repository)
        try setup.record(Self.runOne, on: setup.commits[1], in: repository)
        try index.catchUp(repository)

        let ids = try setup.commits.map(setup.id)
        let before = try ids.map { Answer(try index.results(of: $0)) }
        let summariesBefore = try index.summaries(of: ids)
        let countsBefore = try index.counts()

        #expect(try index.rebuild(repository) == 2)
        #expect(try ids.map { Answer(try index.results(of: $0)) } == before)
        #expect(try index.summaries(of: ids) == summariesBefore)
        #expect(try index.counts() == countsBefore)
    }

    @Test func aCorruptIndexFileIsRebuiltWithAMessage() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let expected = try Answer(setup.openIndex(repository).results(of: try setup.id(setup.commits[0])))

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setup.indexPath + suffix) }
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }).write(to: URL(fileURLWithPath: setup.indexPath))

        var messages: [String] = []
        let index = try setup.openIndex(repository, messages: &messages)
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.first?.contains(setup.indexPath) == true)
        #expect(messages.first?.contains("rebuilding") == true)
        #expect(Answer(try index.results(of: try setup.id(setup.commits[0]))) == expected)
        #expect(try index.counts() == (records: 3, commits: 1))
    }

    @Test func aTruncatedIndexFileIsRebuilt() throws {
        let setup = try IndexedRepository(commits: 1)
        let repository = try setup.repository()
        let targets = (0..<400).map { number in ObjectID(hex: String(format: "%040x", number + 1))! }
        try NotesWriter.append(targets.map { ($0, Records.job("unit \($0.hex)", "passed", at: 100)) },
                               in: repository, message: "many")
        do {
            let index = try setup.openIndex(repository)
            #expect(try index.counts().commits == 400)
        }
        // Fold the WAL into the file as a clean close would, then cut the file in half.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setup.indexPath + suffix) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: setup.indexPath)[.size] as? Int)
        let handle = try #require(FileHandle(forUpdatingAtPath: setup.indexPath))
        try handle.truncate(atOffset: UInt64(max(4096, size / 2)))
        try handle.close()

        var messages: [String] = []
        let index = try setup.openIndex(repository, messages: &messages)
        #expect(messages.count == 1 && messages.first?.contains("rebuilding") == true, "\(messages)")
        #expect(try index.counts().commits == 400)
        #expect(try index.results(of: targets[399]).status == "passed")
    }

    /// Damages every page of the index file past the first `keep` (the schema and the small
    /// tables that opening reads), so that only a query finds the damage.
    static func damagePages(of path: String, keeping keep: Int = 5) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for offset in (keep * 4096)..<bytes.count { bytes[offset] = UInt8(truncatingIfNeeded: offset &* 31 &+ 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func corruptionFoundByAQueryRebuildsTheIndexWithAMessage() throws {
        let setup = try IndexedRepository(commits: 1)
        let repository = try setup.repository()
        let targets = (0..<400).map { number in ObjectID(hex: String(format: "%040x", number + 1))! }
        try NotesWriter.append(targets.map { ($0, Records.job("unit \($0.hex)", "passed", at: 100)) },
                               in: repository, message: "many")
        do {
            let index = try setup.openIndex(repository)
            #expect(try index.counts().commits == 400)
        }
        // Closed: its WAL stays, emptied, so that no copy of a page there hides the damage.
        let wal = try FileManager.default.attributesOfItem(atPath: setup.indexPath + "-wal")
        #expect((wal[.size] as? Int) == 0, "the index was not closed")
        try Self.damagePages(of: setup.indexPath)

        let messages = MessageLog()
        let index = try ResultIndex.open(stateFolder: setup.stateFolder, repository: repository, report: messages.append)
        #expect(try index.results(of: targets[7]).status == "passed")
        #expect(try index.summaries(of: targets).count == 400)
        #expect(try index.counts() == (records: 400, commits: 400))
        #expect(messages.lines.count == 1 && messages.lines.first?.contains("rebuilding") == true, "\(messages.lines)")
    }

    @Test func aRebuildRecoversFromACorruptIndex() throws {
        let setup = try IndexedRepository(commits: 1)
        let repository = try setup.repository()
        let targets = (0..<400).map { number in ObjectID(hex: String(format: "%040x", number + 1))! }
        try NotesWriter.append(targets.map { ($0, Records.job("unit \($0.hex)", "failed", at: 100)) },
                               in: repository, message: "many")
        do { _ = try setup.openIndex(repository) }
        try Self.damagePages(of: setup.indexPath)

        let index = try setup.openIndex(repository)
        #expect(try index.rebuild(repository) == 400)
        #expect(try index.results(of: targets[399]).status == "failed")
    }

    @Test func aDeletedIndexIsRebuiltFromTheNotes() throws {
        let setup = try IndexedRepository()
        let repository = try setup.repository()
        try setup.record(Self.runOne, on: setup.commits[0], in: repository)
        let expected = try Answer(setup.openIndex(repository).results(of: try setup.id(setup.commits[0])))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setup.indexPath + suffix) }
        try FileManager.default.removeItem(atPath: setup.stateFolder)

        let index = try setup.openIndex(repository)
        #expect(FileManager.default.fileExists(atPath: setup.indexPath))
        #expect(Answer(try index.results(of: try setup.id(setup.commits[0]))) == expected)
    }
}

/// Collects what an index reports, for as long as the index lives.
final class MessageLog {
    private(set) var lines: [String] = []

    func append(_ line: String) {
        lines.append(line)
    }
}
