public import GitKit
import Runner
public import Store

/// What gitci knows of one commit, composed once for `gitci status` and for the coordinator's
/// JSON API: its results in the notes, a build of it still queued or running, a push of it the
/// worker has not planned yet, or a build that ended without results.
public struct CommitStatus: Sendable {
    public let commit: ObjectID
    public let results: CommitResults
    /// A build of it still queued or running: says more than older results of the same commit.
    public let live: LiveBuild?
    /// Pushed, and not planned yet (the worker is starting, or busy planning others).
    public let pushed: Bool
    /// No results in the notes, and the last build of it ended all the same.
    public let ended: EndedBuild?

    public init(commit: ObjectID, repository: Repository, index: ResultIndex, queue: BuildQueue?) throws {
        self.commit = commit
        results = try index.results(of: commit)
        let active = (try? queue?.activeBuilds(of: commit.hex))??.first
        live = active.map { build in
            LiveBuild(build: build, jobs: (try? queue?.jobStatuses(of: build.id)) ?? [],
                      branch: build.target.branch, tag: build.target.tag, details: (try? queue?.jobDetails(of: build.id)) ?? [:])
        }
        pushed = live == nil && queue.map { PendingPushes.willBuild(commit, in: repository, queue: $0) } == true
        ended = live == nil && !pushed && results.status == CommitResults.none
            ? EndedBuild((try? queue?.latestBuild(of: commit.hex)) ?? nil) : nil
    }

    /// The status a user wants: queued or running while it is, else what the notes say, else
    /// what became of its last build.
    public var status: String {
        live?.build.state.rawValue ?? (pushed ? Build.State.queued.rawValue : ended?.status ?? results.status)
    }

    /// Whether a build of it is under way (queued, running, or pushed and not yet planned) or
    /// ended without results: the notes' view is not the whole story.
    public var isBuilding: Bool { live != nil || pushed || ended != nil }

    /// The `status --json` document, with logs as files of `repository`'s state folder.
    public func document(gitCommonDirectory: String) -> RunDocument {
        var document = RunDocument(results: results)
        // Notes keep a log's path relative to the state folder; a reader wants a file to open.
        let state = StateFolder(gitCommonDirectory: gitCommonDirectory)
        for index in document.jobs.indices { document.jobs[index].log = document.jobs[index].log.map(state.logPath(recorded:)) }
        if let live {
            document.overlay(live)
            document.reason = live.build.reason ?? document.reason
        }
        if pushed || ended != nil { document.status = status }
        if let ended {
            document.branch = ended.build.branch
            document.reason = ended.why
        }
        return document
    }
}
