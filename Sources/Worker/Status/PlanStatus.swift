import Foundation
import GitKit
public import Store

/// The plan branches' last results, for `gitci plans` and the JSON API.
public enum PlanStatus {
    /// Each plan branch with the commit of its latest build (or last push) and that commit's status.
    public static func entries(_ plans: [PlanBranch], latest: [String: Build], index: ResultIndex) -> [PlansDocument.Entry] {
        plans.map { plan in
            let commit = latest[plan.branch]?.commit ?? plan.lastCommit
            return PlansDocument.Entry(branch: plan.branch, state: plan.state.rawValue,
                                       last: commit.map { .init(commit: $0, status: status(of: $0, build: latest[plan.branch], index: index)) })
        }
    }

    /// A build's status as a user wants it: queued or running while it is, else what the notes
    /// say, else what became of the build (as `gitci status` says it: EndedBuild).
    public static func status(of commit: String, build: Build?, index: ResultIndex) -> String {
        if let build, build.state == .queued || build.state == .running { return build.state.rawValue }
        if let id = ObjectID(hex: commit), let summary = try? index.summaries(of: [id])[id] { return summary.status }
        return EndedBuild(build)?.status ?? CommitResults.none
    }
}
