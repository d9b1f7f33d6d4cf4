public import GitKit

/// `refs/notes/gitci-tests`: every test case of every recorded job run, one line each
/// (TestCaseLine), on the built commit.
public enum TestNotes {
    public static let ref = "refs/notes/gitci-tests"

    /// One job run's cases, to be written on `commit`.
    public struct Run: Sendable {
        public let commit: ObjectID
        public let job: String
        public let pipeline: String
        public let started: String
        public let cases: [TestCase]

        public init(commit: ObjectID, job: String, pipeline: String, started: String, cases: [TestCase]) {
            self.commit = commit
            self.job = job
            self.pipeline = pipeline
            self.started = started
            self.cases = cases
        }
    }

    /// Writes the cases of `runs` in one notes commit (none when no run has a case).
    @discardableResult
    public static func append(_ runs: [Run], in repository: Repository, message: String) throws(StoreError) -> ObjectID? {
        try NotesWriter.append(lines: lines(of: runs), to: ref, in: repository, message: message)
    }

    static func lines(of runs: [Run]) -> [(commit: ObjectID, line: String)] {
        var lines: [(commit: ObjectID, line: String)] = []
        lines.reserveCapacity(runs.reduce(0) { $0 + $1.cases.count })
        for run in runs {
            for test in run.cases {
                lines.append((run.commit, TestCaseLine(job: run.job, pipeline: run.pipeline, started: run.started, test: test).line()))
            }
        }
        return lines
    }
}
