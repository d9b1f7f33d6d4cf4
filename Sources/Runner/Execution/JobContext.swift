public import Foundation
public import GitKit
import HookIntake
public import Store

/// Everything a job needs to run besides the job itself. Built by whoever starts the job (`gitci
/// run`, the worker, an agent); the executor does not know which.
public struct JobContext: Sendable {
    public var pipelineID: String
    /// The commit being built; for a working-tree run, the commit the tree is based on (if any).
    public var commit: ObjectID?
    public var branch: String?
    /// The tag of a tag build (then `branch` is nil): `GITCI_TAG`.
    public var tag: String?
    public var source: WorkspaceSource
    /// The job's own workspace folder; created fresh, removed afterwards unless kept.
    public var workspace: String
    public var logPath: String
    /// The environment steps inherit before gitci's own variables are added.
    public var baseEnvironment: [String: String]
    public var node: String
    public var keepWorkspace: Bool
    /// Seconds between SIGTERM and SIGKILL when a step is stopped.
    public var terminationGrace: Double
    /// Where the steps run when not straight on this machine.
    public var sandbox: Sandbox?
    /// What the log should say before the steps: why the job was not reused, what `changes:`
    /// compared with.
    public var notes: [String] = []
    /// Its `repos:` entries as the build pinned them (RepoPinning).
    public var repos = JobRepos()
    /// Where the job's `artifacts:` are kept, and those of its dependencies read from; nil: no
    /// artifacts are kept.
    public var artifactStore: ArtifactStore?
    /// The artifacts of the jobs it depends on (`dependencies:`, else `needs:`), placed in its
    /// workspace before its first step.
    public var inputArtifacts: [NoteRecord.Artifact] = []

    public init(pipelineID: String, commit: ObjectID?, branch: String?, tag: String? = nil, source: WorkspaceSource, workspace: String,
                logPath: String, baseEnvironment: [String: String], node: String? = nil, keepWorkspace: Bool = false,
                terminationGrace: Double = 3, sandbox: Sandbox? = nil) {
        self.pipelineID = pipelineID
        self.commit = commit
        self.branch = branch
        self.tag = tag
        self.source = source
        self.workspace = workspace
        self.logPath = logPath
        self.baseEnvironment = baseEnvironment
        self.node = node ?? Host.name
        self.keepWorkspace = keepWorkspace
        self.terminationGrace = terminationGrace
        self.sandbox = sandbox
    }

    /// The environment steps get: what the runner was started with, minus git's own variables
    /// (a hook's `GIT_DIR=.` must not leak into a build), plus nothing else yet.
    public static func inheritedEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        // The niceness a hook gives the builds of the worker it starts is for the worker.
        environment.filter { !$0.key.hasPrefix("GIT_") && $0.key != WorkerLauncher.buildNicenessVariable }
    }
}

extension JobContext {
    /// The name results record for this machine.
    public static var hostName: String { Host.name }
}
