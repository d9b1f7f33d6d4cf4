public import Foundation
public import Pipeline

/// What a run reports while it goes, for progress displays and (later) live status in the index.
/// Called from many tasks at once.
public protocol RunObserver: Sendable {
    func jobStarted(_ job: PlannedJob, at date: Date)
    func stepStarted(_ job: PlannedJob, index: Int, name: String)
    func jobFinished(_ result: JobResult)
    /// A step's process group started (a worker remembers it, to stop it should the worker die).
    func stepProcessStarted(_ job: PlannedJob, processGroup: Int32)
    /// The job waits for a machine to take it (a build agent with its labels), and why; nil
    /// once it no longer waits.
    func jobWaiting(_ job: PlannedJob, reason: String?)
}

extension RunObserver {
    public func stepProcessStarted(_ job: PlannedJob, processGroup: Int32) {}
    public func jobWaiting(_ job: PlannedJob, reason: String?) {}
}

/// An observer that ignores everything.
public struct SilentObserver: RunObserver {
    public init() {}
    public func jobStarted(_ job: PlannedJob, at date: Date) {}
    public func stepStarted(_ job: PlannedJob, index: Int, name: String) {}
    public func jobFinished(_ result: JobResult) {}
}
