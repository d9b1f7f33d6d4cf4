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
    /// How the build was asked for beyond its commit and jobs (`--no-cache`, `--same-repos`, a
    /// trigger's pinned commit).
    public var request: BuildRequest = BuildRequest()
}

/// What a build was asked to do differently from a plain build of its commit. Kept in the queue
/// as one JSON text, so that a key added later needs no migration.
public struct BuildRequest: Codable, Sendable, Hashable {
    /// Run every job, even those an earlier passed run with the same cache key would reuse
    /// (`gitci run --no-cache`, `gitci rerun`).
    public var noCache: Bool?
    /// Commits of `repos:` entries (by entry name) to use instead of resolving their refs:
    /// what `gitci rerun --same-repos` replays, and what a trigger pins.
    public var pinnedRepos: [String: String]?
    /// The `.gitci.yml` blob to run instead of the commit's (`gitci rerun --same-repos`
    /// replays the configuration that was run).
    public var configBlob: String?
    /// The pushes that led to this build through `trigger: true` entries, oldest first
    /// (`<repository path>@<ref>`), so that a chain of triggers never comes back to where it
    /// started.
    public var triggeredBy: [String]?

    public init(noCache: Bool? = nil, pinnedRepos: [String: String]? = nil, configBlob: String? = nil, triggeredBy: [String]? = nil) {
        self.noCache = noCache
        self.pinnedRepos = pinnedRepos
        self.configBlob = configBlob
        self.triggeredBy = triggeredBy
    }

    public var isPlain: Bool { self == BuildRequest() }
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
