/// A build of one commit in the queue: waiting, running on this machine, or ended.
public struct Build: Sendable, Hashable {
    public enum State: String, Sendable {
        case queued, running, finished, cancelled, superseded
        /// Ended before any step ran, with nothing to record in the notes (no pipeline file at
        /// the commit, a state folder it cannot use): `reason` says why.
        case failedToStart = "failed-to-start"
    }

    public let id: Int64
    public let branch: String?
    public let ref: String?
    public let commit: String
    public let state: State
    /// Jobs to run (with what they need); empty: the whole pipeline.
    public let jobs: [String]
    /// Variables from `git push -o ci.variable=K=V`, given to steps as environment.
    public let variables: [String: String]
    public let reason: String?
    public let created: Double
    public let started: Double?
    public let finished: Double?
    public let attempt: Int
    public let lostAttempts: Int
    public let cancelRequested: Bool
    public let interruptible: Bool
    /// The run id its results are recorded under, fixed when it is first claimed.
    public let runID: String?
    public let result: String?
}

/// A plan branch: its own build history, created on the branch's first push, retired when the
/// branch is deleted.
public struct PlanBranch: Sendable, Hashable {
    public enum State: String, Sendable {
        case active, retired
    }

    public let branch: String
    public let state: State
    public let created: Double
    public let retired: Double?
    public let lastCommit: String?
}
