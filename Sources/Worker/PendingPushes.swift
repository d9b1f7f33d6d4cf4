public import GitKit
public import Store

/// Pushes recorded by the hooks that the worker has not turned into builds yet.
public enum PendingPushes {
    /// Whether one of them will queue a build of `commit`, as the worker will decide it (so a
    /// tag push waits as a branch push does, and a push the pipeline does not build does not
    /// wait at all): queued, as far as a user can tell.
    public static func willBuild(_ commit: ObjectID, in repository: Repository, queue: BuildQueue) -> Bool {
        guard let pending = try? queue.pendingEvents() else { return false }
        let decider = PushDecider(repository: repository, log: { _ in })
        return pending.contains { record in
            // An annotated tag's update names the tag object: peeled before anything is read.
            guard !record.event.isDeletion, (try? repository.resolveCommit(record.event.new)) == commit else { return false }
            guard case .build(let built, _, _, _, _, let skip) = decider.decide(record.event) else { return false }
            return built == commit.hex && !skip
        }
    }
}
