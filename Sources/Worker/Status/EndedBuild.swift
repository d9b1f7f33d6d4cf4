import Runner
public import Store

/// A commit the notes say nothing about, whose last build in the queue ended all the same:
/// `superseded` by a newer push before it ran, `cancelled` before it recorded anything,
/// `failed` before any step ran (the reason says why: no pipeline file, …), or `lost`: it ran
/// to its end, but its results are not in `refs/notes/gitci` (never written there, or gone
/// since). What `gitci status` shows instead of "no results".
public struct EndedBuild: Sendable {
    public static let lost = "lost"

    public let build: Build
    public let status: String

    public init?(_ build: Build?) {
        guard let build else { return nil }
        switch build.state {
        case .queued, .running: return nil
        case .superseded, .cancelled: status = build.state.rawValue
        case .failedToStart: status = PipelineStatus.failed.rawValue
        case .finished: status = Self.lost
        }
        self.build = build
    }

    /// Why it ended so: `status --json`'s `reason`.
    public var why: String {
        switch status {
        case Self.lost:
            return "it ended (\(build.result ?? "no result")) but its results are not in \(ResultIndex.notesRef)"
                + (build.reason.map { " (\($0))" } ?? "")
        case PipelineStatus.failed.rawValue:
            return "it could not start: " + (build.reason ?? "no reason recorded")
        default: return build.reason ?? status
        }
    }

    /// One line for people: what became of the build, and why.
    public var description: String {
        "build \(build.id)\(build.branch.map { " on \($0)" } ?? "") \(status): \(why)"
    }
}
