import Foundation
import GRDB
public import GitKit
import Synchronization
import HookIntake

/// `refs/notes/gitci` points at something other than a notes commit.
struct NotesReferenceProblem: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The SQLite index of `refs/notes/gitci`: fast answers for `status`, `log` and `plans`.
///
/// The notes are the truth and the index only a cache of them: it remembers the notes commit it
/// last read and catches up by diffing notes trees, and it can be deleted or rebuilt at any time
/// (`gitci reindex`) with identical answers. A corrupt index file is thrown away and rebuilt.
public final class ResultIndex {
    public static let notesRef = "refs/notes/gitci"
    public static let fileName = StateLayout.index

    public let path: String
    /// Replaced, file and all, when SQLite finds the file corrupt.
    private(set) var pool: DatabaseQueue
    /// Where a rebuild after corruption reads the notes, and whom it tells.
    private let repository: Repository
    private let report: (String) -> Void
    /// The notes moved on, but the index could not take that in (its disk is full): readers
    /// read the notes of the commit they ask about themselves.
    private var behindNotes = false

    private init(path: String, pool: DatabaseQueue, repository: Repository, report: @escaping (String) -> Void) {
        self.path = path
        self.pool = pool
        self.repository = repository
        self.report = report
    }

    /// Opens (creating if needed) the index in `stateFolder` and, unless `catchingUp` is false
    /// (`gitci reindex`, which reads every note next anyway), brings it up to date with the
    /// notes. `report` receives what a user should know: a rebuild, skipped note lines.
    public static func open(stateFolder: String, repository: Repository, catchingUp: Bool = true,
                            report: @escaping (String) -> Void = { _ in }) throws(StoreError) -> ResultIndex {
        let path = (stateFolder as NSString).appendingPathComponent(fileName)
        let existed = FileManager.default.fileExists(atPath: path)
        let pool: DatabaseQueue
        do {
            pool = try openPool(at: path)
        } catch let error as DatabaseError where error.isCorruption {
            report("gitci: the index \(path) is unreadable (\(error.message ?? "corrupt")); rebuilding it from \(notesRef)")
            removeDatabase(at: path)
            do {
                pool = try openPool(at: path)
            } catch {
                throw StoreError("cannot create the index \(path): \(error)")
            }
        } catch {
            throw StoreError("cannot open the index \(path): \(error)")
        }
        let index = ResultIndex(path: path, pool: pool, repository: repository, report: report)
        guard catchingUp else { return index }
        do {
            let read = try index.catchUp(repository, report: report)
            // A missing index (first use in a clone, or deleted) is not an error, but the time
            // a large rebuild takes deserves a word.
            if !existed && read > 0 {
                let refs = repository.referenceTarget(TestNotes.ref) == nil ? notesRef : "\(notesRef) and \(TestNotes.ref)"
                report("gitci: built the index \(path) from \(refs) (\(read) notes)")
            }
        } catch let problem as NotesReferenceProblem {
            // The notes cannot be read, but what was indexed before, and the results kept
            // pending meanwhile, still can.
            report("gitci: warning: \(problem.message); showing the results indexed before and those kept in \(PendingResults(stateFolder: stateFolder).folder)")
        } catch let error as DatabaseError where [.SQLITE_FULL, .SQLITE_IOERR].contains(error.resultCode) {
            report("gitci: warning: the index \(path) cannot take in the newest notes (\(error.message ?? "\(error.resultCode)")); reading them without it")
            index.behindNotes = true
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot update the index \(path): \(error)")
        }
        return index
    }

    private static func openPool(at path: String) throws -> DatabaseQueue {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        return try DatabaseSetup.open(path: path, busyTimeout: 15, durable: false, schema: schema)
    }

    /// Runs `body`; when SQLite finds the file corrupt (which it may only notice on the page a
    /// query reads, long after opening), the file is thrown away and rebuilt from the notes, and
    /// `body` runs once more.
    func recovering<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as DatabaseError where error.isCorruption {
            report("gitci: the index \(path) is corrupt (\(error.message ?? "")); rebuilding it from \(Self.notesRef)")
            // Closed before its files go: a connection closed later would delete the new
            // file's -wal and -shm, which have the same names.
            try? pool.close()
            Self.removeDatabase(at: path)
            do {
                pool = try Self.openPool(at: path)
                _ = try catchUpOnce(repository, report: report)
            } catch {
                throw StoreError("cannot rebuild the index \(path): \(error)")
            }
            return try body()
        }
    }

    private static func removeDatabase(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static let schema = DatabaseSetup.Schema(migrations: ["v1", "v2", "v3"], migrator: { migrator })

    /// Whether `schema` lists exactly the migrations the migrator registers (a test keeps them so).
    package static var schemaListsEveryMigration: Bool { schema.migrations == migrator.migrations }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                -- Which note blob each commit's rows came from.
                CREATE TABLE notes (commit_id TEXT PRIMARY KEY, blob TEXT NOT NULL);
                CREATE TABLE records (
                    commit_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    job TEXT NOT NULL,
                    finished REAL NOT NULL,
                    line TEXT NOT NULL,
                    UNIQUE (commit_id, line)
                );
                CREATE INDEX records_by_commit ON records (commit_id);
                CREATE TABLE summaries (commit_id TEXT PRIMARY KEY, status TEXT NOT NULL, finished REAL NOT NULL);
                """)
        }
        // Each job record's cache key, so that a run finds the passed runs it may reuse
        // (CacheLookup) with one indexed query. Filled from the lines already indexed.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE records ADD COLUMN cache_key TEXT;
                UPDATE records SET cache_key = json_extract(line, '$.cache_key') WHERE kind = 'job' AND json_valid(line);
                CREATE INDEX records_by_cache_key ON records (cache_key) WHERE cache_key IS NOT NULL;
                """)
        }
        registerTestsMigration(&migrator)
        return migrator
    }

    // MARK: - Catching up with the notes

    /// How many notes to read before writing them in one transaction: bounds memory on a
    /// rebuild of 100,000 notes while keeping transactions few.
    private static let batchSize = 2000

    /// Reads the notes that changed since the last indexed notes commit. Safe against other
    /// processes doing the same: each batch checks, in its transaction, that nobody moved the
    /// index on meanwhile, and starts over from their position if someone did.
    @discardableResult
    public func catchUp(_ repository: Repository, report: (String) -> Void = { _ in }) throws -> Int {
        var changed = try recovering { try catchUpOnce(repository, report: report) }
        changed += try recovering { try catchUpTestsOnce(repository, report: report) }
        if changed > 0 { checkpoint() }
        return changed
    }

    /// Moves what was just written from the WAL into the database file and empties the WAL.
    /// Short-lived commands exit without closing their connections, which is when SQLite would
    /// otherwise do this; left alone, every later `gitci status` would replay the whole WAL.
    private func checkpoint() {
        _ = try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    private func catchUpOnce(_ repository: Repository, report: (String) -> Void) throws -> Int {
        for _ in 0..<5 {
            let indexed = try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'notes'") }
            let tip = repository.referenceTarget(Self.notesRef)
            // A ref that points at no commit is a fault to report, not notes deleted.
            if tip == nil, let problem = repository.notesReferenceProblem(Self.notesRef) { throw NotesReferenceProblem(message: problem) }
            if tip?.hex == indexed { return 0 }
            guard let tip else {
                try clear()
                return 0
            }
            var base = indexed.flatMap(ObjectID.init(hex:))
            var changes = base.flatMap { try? repository.changedNotes(from: $0, to: tip) }
            if changes == nil {
                // Nothing indexed yet, an interrupted catch-up, or a rewritten notes ref whose old
                // commit is gone: start from nothing.
                if indexed != nil { try clear() }
                base = nil
                changes = try repository.changedNotes(from: nil, to: tip)
            }
            if let applied = try apply(changes ?? [], from: base?.hex, to: tip, repository: repository, report: report) {
                return applied
            }
        }
        throw StoreError("the index \(path) keeps moving under concurrent updates; try again")
    }

    /// Applies `changes` in batches; nil when another process moved the index on first.
    ///
    /// While one batch is written, the next is read from git and parsed on another thread (with
    /// a repository handle of its own): on a rebuild the two take about as long as each other.
    private func apply(_ changes: [NoteChange], from indexed: String?, to tip: ObjectID, repository: Repository,
                       report: (String) -> Void) throws -> Int? {
        let batches = changes.isEmpty ? [changes[...]]
            : stride(from: 0, to: changes.count, by: Self.batchSize).map { changes[$0..<min($0 + Self.batchSize, changes.count)] }
        var position = indexed
        var ahead: NotesLoad?
        defer { ahead?.abandon() }
        var written = 0
        for (number, batch) in batches.enumerated() {
            let nextKnown = number + 1 < batches.count ? try indexedBlobs(for: batches[number + 1]) : nil
            let current = ahead
            ahead = nextKnown.map { NotesLoad(Array(batches[number + 1]), known: $0, gitDirectory: repository.gitDirectory) }
            let loaded = try current?.wait() ?? Self.load(batch, known: try indexedBlobs(for: batch), from: repository)
            loaded.warnings.forEach(report)
            written += batch.count
            let isLast = number + 1 == batches.count
            // Intermediate positions name no notes commit, so a reader never mistakes them for
            // up to date; the next catch-up simply starts over.
            let next = isLast ? tip.hex : "\(indexed ?? "")+\(written)"
            let moved = try pool.write { db -> Bool in
                let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'notes'")
                guard current == position else { return true }
                for note in loaded.notes { try Self.store(note.commit, blob: note.blob, records: note.records, lines: note.lines, in: db) }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('notes', ?)", arguments: [next])
                return false
            }
            if moved { return nil }
            position = next
        }
        return changes.count
    }

    /// Reads and parses the notes of `batch` whose blob the index does not hold yet (`known`:
    /// commit → blob indexed).
    fileprivate static func load(_ batch: some Collection<NoteChange>, known: [String: String],
                                 from repository: Repository) -> LoadedNotes {
        var loaded = LoadedNotes()
        for change in batch {
            switch change {
            case .removed(let commit):
                loaded.notes.append(.init(commit: commit.hex, blob: nil, records: [], lines: []))
            case .changed(let commit, let blob):
                if known[commit.hex] == blob.hex { continue }
                let bytes: [UInt8]
                do {
                    bytes = try repository.blobBytes(blob)
                } catch {
                    loaded.warnings.append("gitci: warning: cannot read the note of \(commit.short): \(error.message); skipped")
                    continue
                }
                let parsed = NoteLines.parse(bytes: bytes, commit: commit.hex)
                loaded.warnings += parsed.warnings.map(\.description)
                loaded.notes.append(.init(commit: commit.hex, blob: blob.hex, records: parsed.records, lines: parsed.lines))
            }
        }
        return loaded
    }

    private func indexedBlobs(for batch: ArraySlice<NoteChange>) throws -> [String: String] {
        let commits = batch.compactMap { change -> String? in
            if case .changed(let commit, _) = change { return commit.hex }
            return nil
        }
        guard !commits.isEmpty else { return [:] }
        return try pool.read { db in
            var blobs: [String: String] = [:]
            let rows = try Row.fetchAll(db, sql: "SELECT commit_id, blob FROM notes WHERE commit_id IN (\(databaseQuestionMarks(count: commits.count)))",
                                        arguments: StatementArguments(commits))
            for row in rows { blobs[row["commit_id"]] = row["blob"] as String }
            return blobs
        }
    }

    /// Statements are prepared once per connection (`cachedStatement`): a rebuild stores
    /// 100,000 notes, and preparing each statement anew took a good part of that.
    private static func store(_ commit: String, blob: String?, records: [NoteRecord], lines: [String], in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM records WHERE commit_id = ?").execute(arguments: [commit])
        guard let blob else {
            try db.cachedStatement(sql: "DELETE FROM notes WHERE commit_id = ?").execute(arguments: [commit])
            try db.cachedStatement(sql: "DELETE FROM summaries WHERE commit_id = ?").execute(arguments: [commit])
            return
        }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO notes (commit_id, blob) VALUES (?, ?)").execute(arguments: [commit, blob])
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO records (commit_id, kind, job, finished, line, cache_key) VALUES (?, ?, ?, ?, ?, ?)")
        for (record, line) in zip(records, lines) {
            try insert.execute(arguments: [commit, record.kind.rawValue, record.job ?? "", record.finished, line,
                                           record.kind == .job ? record.cacheKey : nil])
        }
        let results = CommitResults(commit: commit, records: records)
        let finished = records.map(\.finished).max() ?? 0
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO summaries (commit_id, status, finished) VALUES (?, ?, ?)")
            .execute(arguments: [commit, results.status, finished])
    }

    /// Forgets everything and reads all notes again: what `gitci reindex` does.
    @discardableResult
    public func rebuild(_ repository: Repository, report: (String) -> Void = { _ in }) throws -> Int {
        // What was indexed stays while the notes cannot be read.
        if let problem = repository.notesReferenceProblem(Self.notesRef) { throw NotesReferenceProblem(message: problem) }
        let read = try recovering {
            try clear()
            try clearTests()
            return try catchUpOnce(repository, report: report) + catchUpTestsOnce(repository, report: report)
        }
        checkpoint()
        return read
    }

    private func clear() throws {
        try pool.write { db in
            // The tests' position goes with the tests' rows (clearTests), which this leaves.
            try db.execute(sql: "DELETE FROM records; DELETE FROM notes; DELETE FROM summaries; DELETE FROM meta WHERE key <> 'tests'")
        }
    }

    // MARK: - Queries

    /// Everything recorded for `commit`.
    public func results(of commit: ObjectID) throws -> CommitResults {
        let lines = try recovering {
            try pool.read { db in
                try String.fetchAll(db, sql: "SELECT line FROM records WHERE commit_id = ? ORDER BY rowid", arguments: [commit.hex])
            }
        }
        let decoder = JSONDecoder()
        var records = lines.compactMap { try? decoder.decode(NoteRecord.self, from: Data($0.utf8)) }
        // Results the notes could not take yet count as much as those they hold.
        var more = PendingResults(stateFolder: (path as NSString).deletingLastPathComponent).records(of: commit.hex)
        if behindNotes, let text = try? repository.note(for: commit, ref: Self.notesRef) {
            more += NoteLines.parse(text, commit: commit.hex).records
        }
        for record in more where !records.contains(record) { records.append(record) }
        return CommitResults(commit: commit.hex, records: records)
    }

    /// The overall result of each commit that has one.
    public func summaries(of commits: [ObjectID]) throws -> [ObjectID: CommitSummary] {
        var found: [ObjectID: CommitSummary] = [:]
        for chunk in stride(from: 0, to: commits.count, by: 500).map({ commits[$0..<min($0 + 500, commits.count)] }) {
            let rows = try recovering {
                try pool.read { db in
                    try Row.fetchAll(db, sql: "SELECT commit_id, status, finished FROM summaries WHERE commit_id IN (\(databaseQuestionMarks(count: chunk.count)))",
                                     arguments: StatementArguments(chunk.map(\.hex)))
                        .map { (String($0["commit_id"] as String), String($0["status"] as String), Double($0["finished"] as Double)) }
                }
            }
            for (commit, status, finished) in rows {
                if let id = ObjectID(hex: commit) { found[id] = CommitSummary(status: status, finished: finished) }
            }
        }
        return found
    }

    /// How many records and annotated commits the index holds.
    public func counts() throws -> (records: Int, commits: Int) {
        try recovering {
            try pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM records") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM notes") ?? 0)
            }
        }
    }
}

extension DatabaseError {
    var isCorruption: Bool {
        resultCode == .SQLITE_CORRUPT || resultCode == .SQLITE_NOTADB
    }
}

// MARK: - Reading notes on another thread

/// Notes read and parsed, ready to store.
struct LoadedNotes: Sendable {
    struct Note: Sendable {
        let commit: String
        /// Nil: the note was removed.
        let blob: String?
        let records: [NoteRecord]
        let lines: [String]
    }

    var notes: [Note] = []
    /// What the user should be told, in order.
    var warnings: [String] = []
}

/// One batch of notes being read on a thread of its own, through a repository opened there
/// (libgit2 handles are never shared between threads). `wait()` gives nil when that repository
/// could not be opened; the caller then reads the batch itself.
private final class NotesLoad: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<LoadedNotes?>(nil)

    init(_ batch: [NoteChange], known: [String: String], gitDirectory: String) {
        DispatchQueue.global().async { [self] in
            if let repository = try? Repository.open(gitDirectory) {
                let loaded = ResultIndex.load(batch, known: known, from: repository)
                result.withLock { $0 = loaded }
            }
            done.signal()
        }
    }

    func wait() -> LoadedNotes? {
        done.wait()
        return result.withLock { $0 }
    }

    /// Waits for a load whose result is no longer wanted, so that no thread outlives the catch-up.
    func abandon() {
        done.wait()
    }
}
