import Foundation
import GRDB
public import GitKit

// The per-case index of `refs/notes/gitci-tests` (migration v3): which tests ran on which
// commit, how each ended, and, per (tree, test), how often it passed and failed, so that
// `gitci tests --flaky` reads only the rows of flaky tests. Caught up like the job records:
// from the last indexed notes commit, by diffing notes trees; rebuilt by `gitci reindex`.

extension ResultIndex {
    static func registerTestsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                -- Which note blob each commit's case rows came from.
                CREATE TABLE test_notes (commit_id TEXT PRIMARY KEY, blob TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE test_cases (
                    commit_id TEXT NOT NULL,
                    -- The commit's tree (the commit itself when the repository lacks it): what
                    -- makes a rerun and a rebase of the same code the same code.
                    tree TEXT NOT NULL,
                    job TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    started TEXT NOT NULL,
                    suite TEXT NOT NULL,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    duration_ms INTEGER NOT NULL,
                    message TEXT
                );
                -- `gitci tests REV`; `--history` (and finding a test by its bare name); `--flaky`
                -- (and the outcomes of one job's tests on one tree, read from the index alone).
                CREATE INDEX test_cases_by_commit ON test_cases (commit_id);
                CREATE INDEX test_cases_by_name ON test_cases (name, suite);
                CREATE INDEX test_cases_by_tree ON test_cases (tree, job, suite, name, status);
                -- Each job run that has cases, by tree: a tree with one run of a job cannot have
                -- flaky tests in it, which spares the common case (new code, one run) any work.
                CREATE TABLE test_runs (
                    tree TEXT NOT NULL, job TEXT NOT NULL, commit_id TEXT NOT NULL, pipeline TEXT NOT NULL, started TEXT NOT NULL,
                    PRIMARY KEY (tree, job, commit_id, pipeline, started)
                ) WITHOUT ROWID;
                CREATE INDEX test_runs_by_commit ON test_runs (commit_id);
                -- The tests of a job that both passed and failed on one tree, recomputed for each
                -- (tree, job) a stored note touches (refreshFlaky): always a function of
                -- test_cases alone, whatever order the notes came in.
                CREATE TABLE test_flaky (
                    tree TEXT NOT NULL, job TEXT NOT NULL, suite TEXT NOT NULL, name TEXT NOT NULL,
                    PRIMARY KEY (tree, job, suite, name)
                ) WITHOUT ROWID;
                """)
        }
    }

    // MARK: - Catching up with refs/notes/gitci-tests

    private static let testsPosition = "tests"
    /// Notes per transaction: a note may hold tens of thousands of cases.
    private static let testsBatchSize = 200

    /// Reads the tests notes that changed since those last indexed; how many notes changed.
    /// A tests ref that points at no commit is reported and left alone: the job results still count.
    func catchUpTestsOnce(_ repository: Repository, report: (String) -> Void) throws -> Int {
        for _ in 0..<5 {
            let indexed = try pool.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.testsPosition])
            }
            let tip = repository.referenceTarget(TestNotes.ref)
            if tip == nil, let problem = repository.notesReferenceProblem(TestNotes.ref) {
                report("gitci: warning: \(problem); test results not updated")
                return 0
            }
            if tip?.hex == indexed { return 0 }
            guard let tip else {
                try clearTests()
                return 0
            }
            var base = indexed.flatMap(ObjectID.init(hex:))
            var changes = base.flatMap { try? repository.changedNotes(from: $0, to: tip) }
            if changes == nil {
                if indexed != nil { try clearTests() }
                base = nil
                changes = try repository.changedNotes(from: nil, to: tip)
            }
            if let applied = try applyTests(changes ?? [], from: base?.hex, to: tip, repository: repository, report: report) {
                return applied
            }
        }
        throw StoreError("the index \(path) keeps moving under concurrent updates; try again")
    }

    /// nil when another process moved the tests' position on first.
    private func applyTests(_ changes: [NoteChange], from indexed: String?, to tip: ObjectID, repository: Repository,
                            report: (String) -> Void) throws -> Int? {
        var position = indexed
        var written = 0
        var start = 0
        var trees: [String: String] = [:]
        repeat {
            let batch = changes[start..<min(start + Self.testsBatchSize, changes.count)]
            start += Self.testsBatchSize
            var loaded: [(commit: String, blob: String?, tree: String, lines: [TestCaseLine])] = []
            for change in batch {
                switch change {
                case .removed(let commit):
                    loaded.append((commit.hex, nil, "", []))
                case .changed(let commit, let blob):
                    let bytes: [UInt8]
                    do {
                        bytes = try repository.blobBytes(blob)
                    } catch {
                        report("gitci: warning: cannot read the test results of \(commit.short): \(error.message); skipped")
                        continue
                    }
                    let parsed = TestCaseLine.parse(bytes: bytes)
                    if parsed.skipped > 0 {
                        report("gitci: warning: \(TestNotes.ref) on \(commit.short): \(parsed.skipped) lines are not test results; skipped")
                    }
                    let tree = trees[commit.hex] ?? ((try? repository.commit(commit).tree.hex) ?? commit.hex)
                    trees[commit.hex] = tree
                    loaded.append((commit.hex, blob.hex, tree, parsed.lines))
                }
            }
            written += batch.count
            let next = written >= changes.count ? tip.hex : "\(indexed ?? "")+\(written)"
            let moved = try pool.write { db -> Bool in
                let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.testsPosition])
                guard current == position else { return true }
                for note in loaded { try Self.storeTests(note.commit, blob: note.blob, tree: note.tree, lines: note.lines, in: db) }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [Self.testsPosition, next])
                return false
            }
            if moved { return nil }
            position = next
        } while start < changes.count
        return changes.count
    }

    private static func storeTests(_ commit: String, blob: String?, tree: String, lines: [TestCaseLine], in db: Database) throws {
        if let blob,
           try String.fetchOne(db.cachedStatement(sql: "SELECT blob FROM test_notes WHERE commit_id = ?"), arguments: [commit]) == blob {
            return
        }
        var touched = Set<RunGroup>()
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT tree, job FROM test_runs WHERE commit_id = ?"), arguments: [commit]) {
            touched.insert(RunGroup(tree: row["tree"], job: row["job"]))
        }
        try db.cachedStatement(sql: "DELETE FROM test_cases WHERE commit_id = ?").execute(arguments: [commit])
        try db.cachedStatement(sql: "DELETE FROM test_runs WHERE commit_id = ?").execute(arguments: [commit])
        if let blob {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO test_notes (commit_id, blob) VALUES (?, ?)").execute(arguments: [commit, blob])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO test_cases (commit_id, tree, job, pipeline, started, suite, name, status, duration_ms, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let run = try db.cachedStatement(sql: "INSERT OR IGNORE INTO test_runs (tree, job, commit_id, pipeline, started) VALUES (?, ?, ?, ?, ?)")
            // `cat_sort_uniq` keeps one copy of a line; a line repeated by hand counts once too.
            var seen = Set<TestCaseLine>()
            var runs = Set<TestRun>()
            for line in lines where seen.insert(line).inserted {
                // Unchecked: the count is right by construction, and a rebuild inserts a million rows.
                insert.setUncheckedArguments([commit, tree, line.job, line.pipeline, line.started, line.suite, line.name,
                                              line.status, line.durationMs, line.message])
                try insert.execute()
                if runs.insert(TestRun(started: line.started, pipeline: line.pipeline, job: line.job)).inserted {
                    try run.execute(arguments: [tree, line.job, commit, line.pipeline, line.started])
                    touched.insert(RunGroup(tree: tree, job: line.job))
                }
            }
        } else {
            try db.cachedStatement(sql: "DELETE FROM test_notes WHERE commit_id = ?").execute(arguments: [commit])
        }
        for group in touched { try refreshFlaky(group, in: db) }
    }

    /// One job's runs on one tree.
    private struct RunGroup: Hashable {
        let tree: String
        let job: String
    }

    private static func refreshFlaky(_ group: RunGroup, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM test_flaky WHERE tree = ? AND job = ?").execute(arguments: [group.tree, group.job])
        let runs = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM (SELECT 1 FROM test_runs WHERE tree = ? AND job = ? LIMIT 2)"),
                                    arguments: [group.tree, group.job]) ?? 0
        guard runs > 1 else { return }
        try db.cachedStatement(sql: """
            INSERT INTO test_flaky (tree, job, suite, name)
            SELECT tree, job, suite, name FROM test_cases WHERE tree = ? AND job = ?
            GROUP BY suite, name HAVING max(status = 'passed') = 1 AND max(status IN ('failed', 'error')) = 1
            """).execute(arguments: [group.tree, group.job])
    }

    func clearTests() throws {
        try pool.write { db in
            try db.execute(sql: """
                DELETE FROM test_cases; DELETE FROM test_notes; DELETE FROM test_runs; DELETE FROM test_flaky;
                DELETE FROM meta WHERE key = 'tests'
                """)
        }
    }

    // MARK: - Queries

    /// The cases of the newest run of each job on `commit`: failures (and errors) first, then
    /// skipped, then passed; by job, suite and name within each.
    public func tests(of commit: ObjectID) throws -> [TestResult] {
        let rows = try recovering {
            try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT job, pipeline, started, suite, name, status, duration_ms, message
                    FROM test_cases WHERE commit_id = ?
                    """, arguments: [commit.hex]).map { row in
                    (run: TestRun(started: row["started"], pipeline: row["pipeline"], job: row["job"]),
                     result: TestResult(commit: commit.hex, job: row["job"], suite: row["suite"], name: row["name"],
                                        status: row["status"], durationMs: row["duration_ms"], message: row["message"]))
                }
            }
        }
        var newest: [String: TestRun] = [:]
        for row in rows where newest[row.result.job].map({ $0 < row.run }) ?? true { newest[row.result.job] = row.run }
        return rows.filter { newest[$0.result.job] == $0.run }.map(\.result).sorted(by: TestResult.failuresFirst)
    }

    /// The tests `text` may name: `suite::name`, `suite.name`, or a bare name, exactly.
    public func testNames(matching text: String) throws -> [TestName] {
        var candidates: [TestName] = []
        for separator in ["::", "."] {
            var search = text.startIndex
            while let range = text.range(of: separator, range: search..<text.endIndex) {
                candidates.append(TestName(suite: String(text[..<range.lowerBound]), name: String(text[range.upperBound...])))
                search = text.index(after: range.lowerBound)
            }
        }
        return try recovering {
            try pool.read { db in
                var found: [TestName] = []
                for candidate in candidates where !candidate.suite.isEmpty && !candidate.name.isEmpty {
                    let known = try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM test_cases WHERE name = ? AND suite = ? LIMIT 1"),
                                                 arguments: [candidate.name, candidate.suite]) != nil
                    if known && !found.contains(candidate) { found.append(candidate) }
                }
                let suites = try String.fetchAll(db, sql: "SELECT DISTINCT suite FROM test_cases WHERE name = ? ORDER BY suite",
                                                 arguments: [text])
                for suite in suites where !found.contains(TestName(suite: suite, name: text)) {
                    found.append(TestName(suite: suite, name: text))
                }
                return found
            }
        }
    }

    /// Every recorded run of `test`, by commit: each commit's newest run of each job.
    public func runs(of test: TestName) throws -> [String: [TestResult]] {
        let rows = try recovering {
            try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT commit_id, job, pipeline, started, status, duration_ms, message
                    FROM test_cases WHERE name = ? AND suite = ?
                    """, arguments: [test.name, test.suite]).map { row in
                    (run: TestRun(started: row["started"], pipeline: row["pipeline"], job: row["job"]),
                     result: TestResult(commit: row["commit_id"], job: row["job"], suite: test.suite, name: test.name,
                                        status: row["status"], durationMs: row["duration_ms"], message: row["message"]))
                }
            }
        }
        var newest: [String: (run: TestRun, result: TestResult)] = [:]
        for row in rows {
            let key = row.result.commit + "\u{0}" + row.result.job
            if newest[key].map({ $0.run < row.run }) ?? true { newest[key] = row }
        }
        return Dictionary(grouping: newest.values.sorted { $0.result.job < $1.result.job }.map(\.result), by: \.commit)
    }

    /// Tests that both passed and failed in one job on the same tree, with the commits of each
    /// outcome; only on `trees` when given.
    public func flakyTests(onTrees trees: Set<String>? = nil) throws -> [FlakyTest] {
        let rows = try recovering {
            try pool.read { db in
                // CROSS JOIN keeps the few flaky rows as the outer loop, whatever the planner
                // thinks of the tables' sizes.
                try Row.fetchAll(db, sql: """
                    SELECT f.tree AS tree, f.job AS job, f.suite AS suite, f.name AS name, c.commit_id AS commit_id, c.status AS status
                    FROM test_flaky f CROSS JOIN test_cases c
                    ON c.tree = f.tree AND c.job = f.job AND c.suite = f.suite AND c.name = f.name
                    ORDER BY f.suite, f.name, f.job, f.tree, c.started, c.commit_id
                    """).map { row in
                    (tree: row["tree"] as String, job: row["job"] as String, suite: row["suite"] as String, name: row["name"] as String,
                     commit: row["commit_id"] as String, status: row["status"] as String)
                }
            }
        }
        var flaky: [FlakyTest] = []
        for row in rows {
            if let trees, !trees.contains(row.tree) { continue }
            if flaky.last.map({ $0.tree != row.tree || $0.job != row.job || $0.suite != row.suite || $0.name != row.name }) ?? true {
                flaky.append(FlakyTest(job: row.job, suite: row.suite, name: row.name, tree: row.tree, passedOn: [], failedOn: []))
            }
            if row.status == TestCase.Status.passed.rawValue {
                if !flaky[flaky.count - 1].passedOn.contains(row.commit) { flaky[flaky.count - 1].passedOn.append(row.commit) }
            } else if TestCase.Status(rawValue: row.status)?.isFailure ?? false {
                if !flaky[flaky.count - 1].failedOn.contains(row.commit) { flaky[flaky.count - 1].failedOn.append(row.commit) }
            }
        }
        return flaky
    }

    /// How many cases the index holds.
    public func testCaseCount() throws -> Int {
        try recovering { try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM test_cases") ?? 0 } }
    }
}

// MARK: - Answers

/// A test by its identity: the suite (class name) and the name.
public struct TestName: Sendable, Hashable {
    public let suite: String
    public let name: String

    public init(suite: String, name: String) {
        self.suite = suite
        self.name = name
    }

    /// `suite::name`, as `gitci tests` prints it.
    public var description: String { suite.isEmpty ? name : "\(suite)::\(name)" }
}

/// One case of one job run on one commit, as the index answers it.
public struct TestResult: Sendable, Hashable {
    public let commit: String
    public let job: String
    public let suite: String
    public let name: String
    /// As recorded (TestCase.Status, or a status a newer gitci wrote).
    public let status: String
    public let durationMs: Int
    public let message: String?

    public var isFailure: Bool { TestCase.Status(rawValue: status)?.isFailure ?? true }

    /// Failures and errors, then skipped, then passed; then by job, suite and name.
    static func failuresFirst(_ a: TestResult, _ b: TestResult) -> Bool {
        func rank(_ result: TestResult) -> Int {
            result.isFailure ? 0 : result.status == TestCase.Status.skipped.rawValue ? 1 : 2
        }
        return (rank(a), a.job, a.suite, a.name) < (rank(b), b.job, b.suite, b.name)
    }
}

/// A test that both passed and failed in one job on one tree: the commits of each outcome. (The
/// same test passing in one job and failing in another, two Python versions, is no flakiness.)
public struct FlakyTest: Sendable, Hashable {
    public let job: String
    public let suite: String
    public let name: String
    public let tree: String
    public var passedOn: [String]
    public var failedOn: [String]
}
