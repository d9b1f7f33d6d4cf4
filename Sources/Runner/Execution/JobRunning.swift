import Foundation
import GitKit
public import Pipeline
public import Store

/// What a job of a planned build needs to run, wherever it runs: Codable, so that it can cross
/// to a build agent. The job itself is found by name in the plan of `configBlob` at `commit`.
public struct JobAssignment: Codable, Sendable, Hashable {
    public var runID: String
    /// The commit built; nil for a run of a working tree (which never leaves its machine).
    public var commit: String?
    public var job: String
    /// The job's place in the plan, from 1: names its log and workspace.
    public var position: Int
    public var branch: String?
    public var tag: String?
    /// The pipeline file the build was planned from.
    public var configBlob: String
    /// Its `repos:` entries' commits, by entry name, as the build pinned them.
    public var pinnedRepos: [String: String]
    /// The build's extra variables (`git push -o ci.variable=K=V`).
    public var variables: [String: String]
    /// The artifacts of the jobs it depends on, placed in its workspace before its first step.
    public var inputArtifacts: [NoteRecord.Artifact]
    /// What its log should say first: why it was not reused, what `changes:` compared with.
    public var notes: [String]
    public var cacheKey: String?

    public init(runID: String, commit: String?, job: String, position: Int, branch: String?, tag: String?, configBlob: String,
                pinnedRepos: [String: String] = [:], variables: [String: String] = [:],
                inputArtifacts: [NoteRecord.Artifact] = [], notes: [String] = [], cacheKey: String? = nil) {
        self.runID = runID
        self.commit = commit
        self.job = job
        self.position = position
        self.branch = branch
        self.tag = tag
        self.configBlob = configBlob
        self.pinnedRepos = pinnedRepos
        self.variables = variables
        self.inputArtifacts = inputArtifacts
        self.notes = notes
        self.cacheKey = cacheKey
    }
}

/// What a running job tells whoever waits for it.
public struct JobEvents: Sendable {
    public var stepStarted: @Sendable (_ index: Int, _ name: String) -> Void
    public var processStarted: @Sendable (_ processGroup: Int32) -> Void
    /// The job waits for a machine to take it, and why (nil: it no longer waits).
    public var waiting: @Sendable (_ reason: String?) -> Void

    public init(stepStarted: @escaping @Sendable (Int, String) -> Void = { _, _ in },
                processStarted: @escaping @Sendable (Int32) -> Void = { _ in },
                waiting: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.stepStarted = stepStarted
        self.processStarted = processStarted
        self.waiting = waiting
    }
}

/// Runs one job of a planned build: on this machine (LocalJobRunner), or on a build agent. A
/// failure is a result, never a thrown error; cancelling the calling task stops the job.
public protocol JobRunning: Sendable {
    func run(_ job: PlannedJob, _ assignment: JobAssignment, events: JobEvents) async -> JobResult
}

/// Runs jobs on this machine, in workspaces of the run's folder, as `gitci run` and the worker do.
struct LocalJobRunner: JobRunning {
    let source: WorkspaceSource
    let workspaceDirectory: String
    let logDirectory: String
    let baseEnvironment: [String: String]
    let keepWorkspaces: Bool
    let sandbox: Sandbox?
    let artifactStore: ArtifactStore
    /// Each job's `repos:` entries, pinned (and their mirrors fetched) when the build was planned.
    let repos: [String: JobRepos]
    /// The name results give this machine; nil: the host's.
    let node: String?

    func run(_ job: PlannedJob, _ assignment: JobAssignment, events: JobEvents) async -> JobResult {
        let fileName = FileName.forJob(job.name, position: assignment.position)
        var context = JobContext(
            pipelineID: assignment.runID, commit: assignment.commit.flatMap(ObjectID.init(hex:)), branch: assignment.branch,
            tag: assignment.tag, source: source,
            workspace: (workspaceDirectory as NSString).appendingPathComponent(fileName),
            logPath: (logDirectory as NSString).appendingPathComponent(fileName + ".log"),
            baseEnvironment: baseEnvironment.merging(assignment.variables) { $1 }, node: node, keepWorkspace: keepWorkspaces,
            sandbox: sandbox
        )
        context.notes = assignment.notes
        context.repos = repos[job.name] ?? JobRepos()
        context.artifactStore = artifactStore
        context.inputArtifacts = assignment.inputArtifacts
        var result = await JobExecutor().run(job, context: context, onStep: events.stepStarted, onProcess: events.processStarted)
        result.cacheKey = assignment.cacheKey
        return result
    }
}
