/// When the worker reads every page of its queue, looking for damage that its own queries may
/// not have come across (BuildQueue.repairedIfCorrupt): once, as soon as it has nothing running
/// (never on a push's way to its build), and again after the queue failed it, at most every
/// `interval` (a queue that fails for another reason, like a full disk, is not read through
/// every round).
struct QueueCheck {
    static let interval = 10.0
    private var last: ContinuousClock.Instant?
    /// Set when a round could not use the queue.
    var failed = false

    mutating func isDue(awaitingPush: Bool) -> Bool {
        if let last {
            guard failed, ContinuousClock.now - last >= .seconds(Self.interval) else { return false }
        } else if awaitingPush, !failed {
            return false
        }
        last = .now
        failed = false
        return true
    }
}
