public import Foundation
public import GitKit
public import Pipeline
public import Store
import Synchronization

/// `gitci run`: one pipeline, on this machine, from a working tree or a commit.
public struct LocalRun: Sendable {
    public struct Options: Sendable {
        public var commit: String?
        /// The branch or tag the run is for; nil: guessed from the revision and the current
        /// branch (`gitci run`). The worker always says, so that nothing is guessed from the
        /// server's HEAD.
        public var target: BuildTarget?
        public var jobs: [String]
        public var parallelism: Int
        public var keepWorkspaces: Bool
        /// Extra environment for every step (`git push -o ci.variable=K=V`); the pipeline's own
        /// `env` wins over it.
        public var variables: [String: String]
        /// The run id to use; a retried build keeps the id of its lost attempt.
        public var runID: String?
        /// Whether every job runs in a sandbox (`Sandbox`), or straight on this machine.
        public var sandbox: Sandbox.Policy
        /// Run every job, even one an earlier passed run with the same cache key would reuse.
        public var noCache: Bool = false
        /// Commits to use for `repos:` entries (by name) instead of resolving their refs
        /// (`gitci rerun --same-repos`, a trigger's pinned commit).
        public var pinnedRepos: [String: ObjectID] = [:]
        /// The `.gitci.yml` blob to run instead of the one at the commit (`--same-repos`).
        public var configBlob: ObjectID?
        /// The name results give the machine the jobs ran on (an agent's `--name`); nil: the host's.
        public var node: String?

        public init(commit: String? = nil, target: BuildTarget? = nil, jobs: [String] = [], parallelism: Int? = nil,
                    keepWorkspaces: Bool = false, variables: [String: String] = [:], runID: String? = nil,
                    sandbox: Sandbox.Policy = .off) {
            self.sandbox = sandbox
            self.variables = variables
            self.runID = runID
            self.commit = commit
            self.target = target
            self.jobs = jobs
            self.parallelism = parallelism ?? Processors.available
            self.keepWorkspaces = keepWorkspaces
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case repository(String)
        case pipeline(PipelineSource.LoadError)
        case unknownJobs(UnknownJobsError)
        case state(StateFolder.Unusable)

        public var description: String {
            switch self {
            case .repository(let message): return message
            case .pipeline(let error): return error.description
            case .unknownJobs(let error): return error.description
            case .state(let error): return error.description
            }
        }
    }

    public struct Report: Sendable {
        public let runID: String
        public let commit: ObjectID?
        public let target: BuildTarget
        public var branch: String? { target.branch }
        public var tag: String? { target.tag }
        public let status: PipelineStatus
        public let jobs: [JobResult]
        public let logDirectory: String
        public let started: Date
        public let durationMs: Int
        public let configBlob: ObjectID
        public let node: String
    }

    public let plan: Plan
    public let runID: String
    public let commit: ObjectID?
    public let target: BuildTarget
    public var branch: String? { target.branch }
    public let configBlob: ObjectID
    public let logDirectory: String
    let workspaceDirectory: String
    let artifactStore: ArtifactStore
    let source: WorkspaceSource
    let options: Options
    let sandbox: Sandbox?
    /// Which jobs are reused or skipped unchanged instead of run (ReuseDecision).
    public private(set) var reuse = ReuseDecision()
    /// Each job's `repos:` entries, pinned once for the whole build when it is planned.
    private(set) var repos: [String: JobRepos] = [:]

    /// Opens the repository around `directory`, reads and plans the pipeline, and prepares the
    /// run's folders. Nothing runs yet.
    public init(directory: String, options: Options) throws(Failure) {
        let repository: Repository
        do {
            repository = try Repository.open(directory, search: true)
        } catch {
            throw .repository("gitci: \(error.message)")
        }
        let commit: ObjectID?
        let file: (bytes: [UInt8], blob: ObjectID)
        let workingTree = repository.workingDirectory
        do {
            if let revision = options.commit ?? (workingTree == nil ? "HEAD" : nil) {
                do {
                    commit = try repository.resolveCommit(revision)
                } catch {
                    throw Failure.repository("gitci: \(error.message)")
                }
                file = try Self.read { () throws(PipelineSource.LoadError) in
                    if let blob = options.configBlob { return try PipelineSource.read(blob: blob, in: repository) }
                    return try PipelineSource.read(at: commit!, in: repository)
                }
                self.source = .commit(gitDirectory: repository.gitDirectory, commit: commit!)
            } else {
                commit = repository.headCommit
                file = try Self.read { () throws(PipelineSource.LoadError) in try PipelineSource.read(inWorkingTree: workingTree!) }
                let files: [String]
                do {
                    files = try repository.workingTreeFiles()
                } catch {
                    throw Failure.repository("gitci: cannot list the working tree: \(error.message)")
                }
                self.source = .workingTree(root: workingTree!, files: files, gitDirectory: repository.gitDirectory, base: commit)
            }
        }
        var plan: Plan
        do {
            let readsCommit = options.commit != nil || workingTree == nil
            plan = try PipelineSource.plan(file.bytes, blob: file.blob) { () throws(PipelineSource.LoadError) in
                if !readsCommit, let workingTree { return try PipelineSource.readTox(inWorkingTree: workingTree) }
                return try PipelineSource.readTox(at: commit!, in: repository)
            }
        } catch {
            throw .pipeline(error)
        }
        do {
            plan = try plan.selecting(options.jobs)
        } catch {
            throw .unknownJobs(error)
        }
        self.plan = plan
        self.commit = commit
        self.configBlob = file.blob
        self.target = options.target ?? Self.target(of: options.commit, commit: commit, in: repository)
        self.options = options
        self.runID = options.runID ?? StateFolder.newRunID()
        self.sandbox = Sandbox.settings(options.sandbox, repository: repository)
            .map { Sandbox(gitDirectory: repository.commonDirectory, settings: $0) }
        do {
            let state = StateFolder(gitCommonDirectory: repository.commonDirectory)
            self.artifactStore = state.artifacts
            let folders = try state.prepareRun(runID)
            self.logDirectory = folders.logs
            self.workspaceDirectory = folders.workspaces
        } catch {
            throw .state(error)
        }
        // Pinned before any key is made: a job's key holds the commits its entries were pinned to.
        self.repos = pinRepos()
        self.reuse = ReuseDecision.decide(plan: plan, repository: repository, commit: commit, workingTree: options.commit == nil && workingTree != nil,
                                          target: target, noCache: options.noCache,
                                          repoCommits: repos.mapValues { $0.problem == nil ? $0.pinnedCommits : [:] },
                                          variables: options.variables)
    }

    private static func read(_ body: () throws(PipelineSource.LoadError) -> ([UInt8], ObjectID)) throws(Failure) -> (bytes: [UInt8], blob: ObjectID) {
        do {
            return try body()
        } catch {
            throw .pipeline(error)
        }
    }

    /// What a run is for when nobody said: the revision itself when it names a branch or a tag
    /// (`--commit v1.0` is a tag build, even on main's tip), otherwise the current branch when
    /// the commit is its tip (or the working tree is run).
    public static func target(of revision: String?, commit: ObjectID?, in repository: Repository) -> BuildTarget {
        if let revision, repository.branchTip(revision) != nil { return .branch(revision) }
        if let revision, repository.referenceTarget(BuildTarget.tagPrefix + revision) != nil { return .tag(revision) }
        guard let current = repository.currentBranch else { return .detached }
        if revision == nil { return .branch(current) }
        return repository.branchTip(current) == commit ? .branch(current) : .detached
    }

    /// A reused or unchanged job's result, with the commits its entries were pinned to: a
    /// reused job's key holds them, and its record says which they were.
    private func settledResult(for job: PlannedJob) -> JobResult? {
        guard var result = reuse.settledResult(for: job) else { return nil }
        if let pinned = repos[job.name], pinned.problem == nil { result.repos = pinned.commits }
        return result
    }

    /// Runs the plan. Cancelling the calling task (Ctrl-C) stops every running step's process
    /// group and reports the run as cancelled.
    public func run(observer: some RunObserver) async -> Report {
        await run(observer: observer, runner: localRunner)
    }

    /// This machine's runner of the run's jobs.
    var localRunner: LocalJobRunner {
        LocalJobRunner(source: source, workspaceDirectory: workspaceDirectory, logDirectory: logDirectory,
                       baseEnvironment: JobContext.inheritedEnvironment(), keepWorkspaces: options.keepWorkspaces,
                       sandbox: sandbox, artifactStore: artifactStore, repos: repos, node: options.node)
    }

    /// The same, for a host of builds that hands some jobs to this machine and others elsewhere.
    public var localJobRunner: any JobRunning { localRunner }

    /// Where the log of the job at `position` (from 1) of the plan is kept on this machine.
    public func logPath(ofJob name: String, position: Int) -> String {
        (logDirectory as NSString).appendingPathComponent(FileName.forJob(name, position: position) + ".log")
    }

    /// Runs one job of the plan as another machine assigned it (a build agent), on this
    /// machine; nil when the plan has no job of that name.
    public func run(assigned assignment: JobAssignment, events: JobEvents = JobEvents()) async -> JobResult? {
        guard let job = plan.jobs.first(where: { $0.name == assignment.job }) else { return nil }
        return await localRunner.run(job, assignment, events: events)
    }

    /// What `job` needs to run, wherever it runs.
    public func assignment(for job: PlannedJob, position: Int, inputArtifacts: [NoteRecord.Artifact]) -> JobAssignment {
        JobAssignment(runID: runID, commit: commit?.hex, job: job.name, position: position, branch: target.branch, tag: target.tag,
                      configBlob: configBlob.hex, pinnedRepos: repos[job.name]?.commits ?? [:], variables: options.variables,
                      inputArtifacts: inputArtifacts, notes: reuse.notes(for: job), cacheKey: reuse.cacheKey(for: job))
    }

    /// Runs the plan's jobs through `runner`: the scheduling, reuse and hand-over of artifacts
    /// are the same wherever the jobs run.
    public func run(observer: some RunObserver, runner: some JobRunning) async -> Report {
        let started = Date()
        let positions = Dictionary(uniqueKeysWithValues: plan.jobs.enumerated().map { ($1.name, $0 + 1) })
        let scheduler = Scheduler(plan: plan, parallelism: options.parallelism, target: target)
        // A job's needs have finished before it starts, so their artifacts are here by then.
        let produced = ProducedArtifacts()
        // Reused jobs hand on what their earlier run kept.
        for job in plan.jobs { if let settled = settledResult(for: job) { produced.record(settled) } }
        let results = await scheduler.run(observer: observer, settled: settledResult(for:)) { [self] job in
            let assignment = assignment(for: job, position: positions[job.name] ?? 0,
                                        inputArtifacts: produced.artifacts(for: job, in: plan))
            let result = await runner.run(job, assignment, events: JobEvents(
                stepStarted: { index, name in observer.stepStarted(job, index: index, name: name) },
                processStarted: { observer.stepProcessStarted(job, processGroup: $0) },
                waiting: { observer.jobWaiting(job, reason: $0) }))
            produced.record(result)
            return result
        }
        if !options.keepWorkspaces { try? FileManager.default.removeItem(atPath: workspaceDirectory) }
        // Spares no job took (StateFolder.makeSpareRun) are not left in the run's folders.
        unlink((logDirectory as NSString).appendingPathComponent(StateFolder.Spare.log))
        if options.keepWorkspaces { rmdir((workspaceDirectory as NSString).appendingPathComponent(StateFolder.Spare.workspace)) }
        return Report(runID: runID, commit: commit, target: target, status: PipelineStatus(finished: results),
                      jobs: results, logDirectory: logDirectory, started: started,
                      durationMs: Int(Date().timeIntervalSince(started) * 1000), configBlob: configBlob, node: options.node ?? Host.name)
    }
}

/// The artifacts each job of one run kept, for the jobs that depend on it.
final class ProducedArtifacts: Sendable {
    private let byJob = Mutex<[String: [NoteRecord.Artifact]]>([:])

    func record(_ result: JobResult) {
        guard !result.artifacts.isEmpty else { return }
        byJob.withLock { $0[result.name] = result.artifacts }
    }

    /// Those of `job`'s `dependencies:` (a job's name, or the name of a matrix job for all its
    /// combinations), else of its `needs:`, in that order; a later one's file of the same name wins.
    func artifacts(for job: PlannedJob, in plan: Plan) -> [NoteRecord.Artifact] {
        let sources: [String]
        if let named = job.config.dependencies?.map(\.value) {
            sources = plan.jobs.filter { named.contains($0.name) || named.contains($0.baseName) }.map(\.name)
        } else {
            sources = job.needs ?? []
        }
        return byJob.withLock { kept in sources.flatMap { kept[$0] ?? [] } }
    }
}
