import Foundation
import GitKit
import HookIntake
import Pipeline
import Runner
import Store

/// Runs one claimed build exactly as `gitci run --commit` would, then records it (ResultRecorder:
/// notes first, then the queue, so that a worker dying in between leaves a build whose results
/// a retry finds already written, and does not write again).
struct BuildExecution: Sendable {
    let gitDirectory: String
    let queue: BuildQueue
    let recorder: ResultRecorder
    let parallelJobs: Int
    let dispatch: (any JobDispatch)?
    let log: @Sendable (String) -> Void
    /// Called when a step of the build has started (and again for each later step).
    var underway: @Sendable () -> Void = {}

    func run(_ build: Build) async {
        let label = "build \(build.id) of \(build.commit.prefix(10))\(build.branch.map { " (\($0))" } ?? "")"
        if build.attempt > 1, let recorded = alreadyRecorded(build) {
            finish(build, .finished, result: recorded, reason: "results of an earlier attempt were already recorded")
            return
        }
        var options = LocalRun.Options(commit: build.commit, target: build.target, jobs: build.jobs, parallelism: parallelJobs,
                                       variables: build.variables, runID: build.runID, sandbox: .configured)
        options.noCache = build.request.noCache ?? false
        options.pinnedRepos = (build.request.pinnedRepos ?? [:]).compactMapValues(ObjectID.init(hex:))
        options.configBlob = build.request.configBlob.flatMap(ObjectID.init(hex:))
        let localRun: LocalRun
        do {
            localRun = try LocalRun(directory: gitDirectory, options: options)
        } catch {
            recordFailureToStart(build, error: error)
            return
        }
        log("gitci: worker: \(label): running \(localRun.plan.jobs.count) jobs")
        let observer = QueueObserver(queue: queue, buildID: build.id, underway: underway)
        let runner: any JobRunning = dispatch?.runner(for: localRun, gitDirectory: gitDirectory) ?? localRun.localJobRunner
        let report = await localRun.run(observer: observer, runner: runner)
        observer.flush()
        var records: [(commit: ObjectID, record: NoteRecord)] = []
        var message = ""
        if let commit = report.commit {
            // Opened only now: LocalRun has its own, and the way to the first step is kept short.
            let repository = try? Repository.open(gitDirectory)
            let tree = try? repository?.commit(commit).tree
            // The cases go straight to their notes; the job records, which hold their counts, take
            // the recorder's way (kept pending when the notes cannot be written).
            if let repository { ResultRecords.writeTests(report, on: commit, in: repository, warn: log) }
            records = ResultRecords.records(for: report, tree: tree).map { (commit, $0) }
            message = "gitci: \(report.status.rawValue) \(commit.short) (\(report.runID))"
        }
        let state: Build.State = report.status == .cancelled ? .cancelled : .finished
        finish(build, state, result: report.status.rawValue, records: records, message: message)
        log("gitci: worker: \(label): \(report.status.rawValue)")
    }

    /// A build asked to stop while its worker was gone (Worker.recoverOrphans) ends cancelled,
    /// without its steps running again.
    func finishCancelledOrphan(_ build: Build) {
        if build.attempt > 0, let recorded = alreadyRecorded(build) {
            finish(build, .finished, result: recorded, reason: "results of an earlier attempt were already recorded")
            return
        }
        var records: [(commit: ObjectID, record: NoteRecord)] = []
        if let runID = build.runID, let commit = ObjectID(hex: build.commit) {
            let started = build.started ?? build.created
            var record = NoteRecord(kind: .pipeline, pipeline: runID, status: PipelineStatus.cancelled.rawValue,
                                    started: Date(timeIntervalSince1970: started),
                                    durationMs: max(0, Int((Date().timeIntervalSince1970 - started) * 1000)))
            record.branch = build.branch
            record.node = JobContext.hostName
            record.reason = "\(build.reason ?? "cancelled") while its worker was gone; its steps were stopped"
            records = [(commit, record)]
        }
        finish(build, .cancelled, result: PipelineStatus.cancelled.rawValue, records: records,
               message: "gitci: cancelled \(build.commit.prefix(10)) (\(build.runID ?? "no run"))")
    }

    /// A build that could not even start: a broken pipeline file is the commit's result
    /// (`config-error`, with the messages); anything else is noted in the queue, where
    /// `gitci status` finds it (failed, with the reason).
    private func recordFailureToStart(_ build: Build, error: LocalRun.Failure) {
        guard case .pipeline(.invalid(let configError)) = error, let commit = ObjectID(hex: build.commit),
              let repository = try? Repository.open(gitDirectory) else {
            log("gitci: worker: build \(build.id) of \(build.commit.prefix(10)): \(error)")
            finish(build, .failedToStart, result: PipelineStatus.failed.rawValue, reason: error.description)
            return
        }
        let record = ResultRecords.configError(
            runID: build.runID ?? StateFolder.newRunID(), messages: configError.diagnostics.map(\.description),
            branch: build.target.branch, tag: build.target.tag, tree: try? repository.commit(commit).tree,
            config: try? PipelineSource.read(at: commit, in: repository).blob, node: JobContext.hostName)
        finish(build, .finished, result: PipelineStatus.configError.rawValue, reason: configError.diagnostics.first?.description,
               records: [(commit, record)], message: "gitci: config-error \(commit.short)")
    }

    /// The pipeline status recorded under this build's run id, if an earlier attempt got as far.
    private func alreadyRecorded(_ build: Build) -> String? {
        guard let runID = build.runID, let commit = ObjectID(hex: build.commit) else { return nil }
        let kept = CommitResults(commit: build.commit, records: recorder.pending.records(of: build.commit))
        if let status = kept.pipelineRecord(runID: runID)?.status { return status }
        guard let repository = try? Repository.open(gitDirectory),
              let text = try? repository.note(for: commit, ref: ResultIndex.notesRef) else { return nil }
        let results = CommitResults(commit: build.commit, text: text)
        return results.pipelineRecord(runID: runID)?.status
    }

    private func finish(_ build: Build, _ state: Build.State, result: String?, reason: String? = nil,
                        records: [(commit: ObjectID, record: NoteRecord)] = [], message: String = "") {
        recorder.record(ResultRecorder.Entry(buildID: build.id, label: "build \(build.id) of \(build.commit.prefix(10))",
                                             records: records, message: message, name: build.runID ?? StateFolder.newRunID(),
                                             state: state, result: result, reason: reason))
    }
}

/// Live job statuses for `gitci status` while a build runs, and the process groups a lost
/// worker's successor must stop. Written in order from a serial queue of their own, so that no
/// job waits for a SQLite transaction before its next step starts; `flush()` before the build
/// is marked finished.
struct QueueObserver: RunObserver {
    let queue: BuildQueue
    let buildID: Int64
    let underway: @Sendable () -> Void
    private let writes = DispatchQueue(label: "gitci.worker.build-status")

    init(queue: BuildQueue, buildID: Int64, underway: @escaping @Sendable () -> Void) {
        self.queue = queue
        self.buildID = buildID
        self.underway = underway
    }

    func jobStarted(_ job: PlannedJob, at date: Date) {
        let name = job.name, started = date.timeIntervalSince1970
        writes.async { [queue, buildID] in
            queue.setJobStatus(buildID, job: name, status: JobStatus.running.rawValue, started: started)
        }
    }

    func stepStarted(_ job: PlannedJob, index: Int, name: String) {}

    func jobFinished(_ result: JobResult) {
        let name = result.name, status = result.status.rawValue, started = result.started?.timeIntervalSince1970
        writes.async { [queue, buildID] in
            queue.setJobStatus(buildID, job: name, status: status, started: started)
        }
    }

    func jobWaiting(_ job: PlannedJob, reason: String?) {
        let name = job.name
        writes.async { [queue, buildID] in
            queue.setJobDetail(buildID, job: name, detail: reason)
        }
    }

    func stepProcessStarted(_ job: PlannedJob, processGroup: Int32) {
        underway()
        writes.async { [queue, buildID] in
            queue.addProcessGroup(buildID, pgid: processGroup)
        }
    }

    /// Waits until every status written so far is in the queue.
    func flush() {
        writes.sync {}
    }
}
