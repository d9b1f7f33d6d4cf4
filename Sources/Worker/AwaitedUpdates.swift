import GitKit
import HookIntake

/// Ref updates the pre-receive hook announced (PushHint) that git has yet to make. The worker
/// looks at their refs often while git is expected to move them, and takes an update up as
/// soon as its ref points at the pushed commit; the post-receive hook's record of the same
/// update then finds it built (BuildQueue's `holdsUpdate`).
struct AwaitedUpdates {
    private var updates: [(event: PushEvent, since: ContinuousClock.Instant)] = []

    /// How long an update is awaited. git moves a ref milliseconds after the pre-receive hook,
    /// unless an `update` hook takes its time; past this, the post-receive hook's record of it
    /// is built as any other.
    static let patience: Duration = .seconds(10)

    var isEmpty: Bool { updates.isEmpty }

    /// Takes up the hints the pre-receive hook left.
    mutating func takeHints(in stateFolder: String, log: (String) -> Void) {
        let (hints, unreadable) = PushHint.takeAll(in: stateFolder)
        for path in unreadable { log("gitci: worker: removed \(path), which is not a push hint") }
        let now = ContinuousClock.now
        updates += hints.flatMap { $0.events.map { ($0, now) } }
    }

    /// The updates whose refs point at their pushed commits now. Forgets the ones whose refs
    /// went elsewhere (another push came first, and this one's update failed) and the ones
    /// awaited for longer than `patience`.
    mutating func accepted(in repository: Repository) -> [PushEvent] {
        guard !updates.isEmpty else { return [] }
        let now = ContinuousClock.now
        var accepted: [PushEvent] = []
        updates.removeAll { update in
            switch Self.state(of: update.event, in: repository) {
            case .made:
                accepted.append(update.event)
                return true
            case .pending:
                return now - update.since > Self.patience
            case .superseded:
                return true
            }
        }
        return accepted
    }

    /// Whether any awaited ref has moved since it was announced.
    func anyMoved(in repository: Repository) -> Bool {
        updates.contains { Self.state(of: $0.event, in: repository) != .pending }
    }

    /// How long to wait before looking at the refs again, nil when none is awaited: a fraction
    /// of a millisecond while git is expected to move them, longer once it takes its time.
    var nextLook: Double? {
        guard let latest = updates.map(\.since).max() else { return nil }
        let waited = ContinuousClock.now - latest
        return waited < .milliseconds(20) ? 0.000_25 : waited < .milliseconds(500) ? 0.002 : 0.05
    }

    private enum State { case pending, made, superseded }

    private static func state(of event: PushEvent, in repository: Repository) -> State {
        let target = repository.referenceTarget(event.ref)?.hex
        if target == event.new { return .made }
        return target == event.old || (target == nil && event.isCreation) ? .pending : .superseded
    }
}
