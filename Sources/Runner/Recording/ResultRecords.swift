public import Foundation
public import GitKit
public import Store

/// Turns finished runs into note records. Whoever ran the jobs (`gitci run --record`, the
/// worker, an agent's coordinator) records them the same way.
public enum ResultRecords {
    /// One record per finished job and one for the pipeline.
    public static func records(for report: LocalRun.Report, tree: ObjectID?) -> [NoteRecord] {
        var records: [NoteRecord] = []
        for job in report.jobs where job.status.isFinished {
            var record = NoteRecord(kind: .job, pipeline: report.runID, job: job.name, status: job.status.rawValue,
                                    started: job.started ?? report.started, durationMs: job.durationMs)
            record.stage = job.stage
            record.exitCode = job.exitCode
            record.node = job.node.isEmpty ? nil : job.node
            record.branch = report.branch
            record.tag = report.tag
            record.tree = tree?.hex
            record.config = report.configBlob.hex
            record.matrix = job.matrix.isEmpty ? nil : Dictionary(job.matrix.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            record.allowFailure = job.allowFailure ? true : nil
            record.reason = job.reason
            record.log = job.logPath.map(StateFolder.recordedLogPath)
            record.repos = job.repos.isEmpty ? nil : job.repos
            record.cacheKey = job.cacheKey
            record.reusedFrom = job.reusedFrom
            record.artifacts = job.artifacts.isEmpty ? nil : job.artifacts
            record.tests = job.tests
            record.warnings = job.warnings.isEmpty ? nil : job.warnings
            records.append(record)
        }
        var pipeline = NoteRecord(kind: .pipeline, pipeline: report.runID, status: report.status.rawValue,
                                  started: report.started, durationMs: report.durationMs)
        pipeline.node = report.node
        pipeline.branch = report.branch
        pipeline.tag = report.tag
        pipeline.tree = tree?.hex
        pipeline.config = report.configBlob.hex
        records.append(pipeline)
        return records
    }

    /// The test cases of each finished job that has some, for `refs/notes/gitci-tests`; each
    /// run named as its job record names it (run id, job, start).
    public static func testRuns(for report: LocalRun.Report, on commit: ObjectID) -> [TestNotes.Run] {
        report.jobs.filter { $0.status.isFinished && !$0.testCases.isEmpty }.map { job in
            TestNotes.Run(commit: commit, job: job.name, pipeline: report.runID,
                          started: Timestamp.format(job.started ?? report.started), cases: job.testCases)
        }
    }

    /// Writes the test cases of a run, before its job records (so that an index brought up to
    /// date by those finds them), with any kept by earlier writes that failed. When the notes
    /// cannot take them they are kept in the state folder's pending results for a later write;
    /// `warn` says so. The counts are in the job records either way.
    public static func writeTests(_ report: LocalRun.Report, on commit: ObjectID, in repository: Repository,
                                  warn: (String) -> Void) {
        let runs = testRuns(for: report, on: commit)
        let pending = PendingResults(stateFolder: StateFolder(gitCommonDirectory: repository.commonDirectory).path)
        guard !runs.isEmpty || pending.testsCount > 0 else { return }
        switch TestNotes.append(runs, in: repository, message: "gitci: tests of \(commit.short) (\(report.runID))",
                                pending: pending, name: report.runID) {
        case .written:
            break
        case .kept(let error, let file):
            warn("gitci: warning: the test cases were not written (\(error.message)); kept in \(file) until they can be")
        case .lost(let error):
            warn("gitci: warning: the test cases were not recorded: \(error.message)")
        }
    }

    /// The record of a pipeline that could not be planned: its messages, one per line.
    public static func configError(runID: String, messages: [String], branch: String?, tag: String? = nil, tree: ObjectID?,
                                   config: ObjectID?, node: String, started: Date = Date()) -> NoteRecord {
        var record = NoteRecord(kind: .pipeline, pipeline: runID, status: PipelineStatus.configError.rawValue,
                                started: started, durationMs: 0)
        record.errors = messages
        record.reason = messages.first
        record.branch = branch
        record.tag = tag
        record.tree = tree?.hex
        record.config = config?.hex
        record.node = node
        return record
    }

    /// Appends one run's records to `commit`'s note; NotesWriter stamps them with the run's
    /// attempt.
    public static func append(_ records: [NoteRecord], on commit: ObjectID, in repository: Repository,
                              message: String) throws(StoreError) {
        try NotesWriter.append(records.map { (commit: commit, record: $0) }, in: repository, message: message)
    }

    /// Writes a finished run's results as one notes commit on the built commit.
    public static func write(_ report: LocalRun.Report, in repository: Repository,
                             warn: (String) -> Void = { _ in }) throws(StoreError) {
        guard let commit = report.commit else {
            throw StoreError("a run of uncommitted changes has no commit to record its results on")
        }
        let tree = try? repository.commit(commit).tree
        writeTests(report, on: commit, in: repository, warn: warn)
        try append(records(for: report, tree: tree), on: commit, in: repository,
                   message: "gitci: \(report.status.rawValue) \(commit.short) (\(report.runID))")
    }
}
