import Foundation
import Testing
import TestSupport

/// The pipelines the results tests record. `unit` fails when the step's environment has
/// `UNIT=fail`, so one commit can get a failed and then a passed run.
enum Pipelines {
    static let twoJobs = """
        stages: [build, test]
        jobs:
          compile:
            stage: build
            steps: ["echo compiled"]
          unit:
            stage: test
            steps: ['echo "unit: $UNIT"', 'test "$UNIT" != fail']
        """

    /// A job allowed to fail next to one that passes.
    static let allowedFailure = """
        jobs:
          build:
            steps: ["true"]
          experimental:
            allow_failure: true
            steps: ["exit 3"]
        """

    /// Two errors, on lines 4 and 6.
    static let broken = """
        stages: [build]
        jobs:
          compile:
            stage: nowhere
            steps: ["true"]
            stpes: ["oops"]
        """
}

/// A working copy with a committed pipeline, and the ways a test looks at its results: the
/// built `gitci`, and the real `git` for what is in `refs/notes/gitci`.
final class ResultsRepository {
    let fixture: GitFixture
    var path: String { fixture.path }

    init(pipeline: String = Pipelines.twoJobs) throws {
        fixture = try GitFixture(files: [".gitci.yml": pipeline, "README": "hello\n"], message: "pipeline")
    }

    /// Wraps an existing repository (a clone, a bare one).
    init(_ fixture: GitFixture) {
        self.fixture = fixture
    }

    @discardableResult
    func git(_ arguments: [String]) throws -> String { try fixture.git(arguments) }

    @discardableResult
    func gitci(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try GitciBinary.run(arguments, in: path, environment: environment)
    }

    /// `gitci run --record --no-cache` that must have ended with `status`: these tests record
    /// several runs of one commit, told apart by what the machine's environment says (`UNIT`),
    /// which is no part of a cache key, so every run must run.
    @discardableResult
    func record(_ extra: [String] = [], unit: String = "pass", expect status: Int32 = 0,
                sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try gitci(["run", "--record", "--no-cache", "--jobs", "1"] + extra, environment: ["UNIT": unit])
        #expect(result.status == status, "gitci run --record: \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    func head() throws -> String { try git(["rev-parse", "HEAD"]) }

    /// The lines of `commit`'s note, as `git notes --ref=gitci show` prints them.
    func noteLines(_ commit: String) throws -> [String] {
        try git(["notes", "--ref=gitci", "show", commit]).split(separator: "\n").map(String.init)
    }

    /// `commit`'s note, each line parsed as JSON (a line that is not JSON fails the test).
    func noteRecords(_ commit: String) throws -> [[String: Any]] {
        try noteLines(commit).map(jsonObject)
    }

    /// The commits that have a note, from `git notes --ref=gitci list`.
    func annotatedCommits() throws -> Set<String> {
        let list = try git(["notes", "--ref=gitci", "list"])
        return Set(list.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) })
    }

    /// `gitci status REV --json`, parsed, with its exit status.
    func status(_ revision: String? = nil) throws -> (exit: Int32, document: [String: Any], stderr: String) {
        let result = try gitci(["status"] + (revision.map { [$0] } ?? []) + ["--json"])
        return (result.status, try jsonObject(result.stdout), result.stderr)
    }

    var indexPath: String { fixture.directory.url(".git/gitci/index.sqlite") }
}

/// Standard output parsed as one JSON object; throws when it holds anything else.
func jsonObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let object = value as? [String: Any] else { throw FixtureError("not a JSON object: \(text)") }
    return object
}

/// The `jobs` of a `status --json` document by name, as `name → status`.
func jobStatuses(_ document: [String: Any]) -> [String: String] {
    let jobs = document["jobs"] as? [[String: Any]] ?? []
    return Dictionary(jobs.map { ($0["name"] as? String ?? "", $0["status"] as? String ?? "") }, uniquingKeysWith: { $1 })
}

/// A bare "server" repository holding `source`'s branches, and clones of it.
final class Server {
    let bare: GitFixture

    init(from source: ResultsRepository) throws {
        bare = try GitFixture(bare: true)
        try source.git(["push", "-q", bare.path, "main"])
    }

    /// A clone of the server: `origin` set up as `git clone` does, `main` checked out. Like a
    /// plain clone, it has no notes until it fetches them.
    func clone() throws -> ResultsRepository {
        let clone = try GitFixture()
        try clone.git(["remote", "add", "origin", bare.path])
        try clone.git(["fetch", "-q", "origin"])
        try clone.git(["checkout", "-q", "-B", "main", "--track", "origin/main"])
        return ResultsRepository(clone)
    }
}
