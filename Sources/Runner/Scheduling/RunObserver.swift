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
}

extension RunObserver {
    public func stepProcessStarted(_ job: PlannedJob, processGroup: Int32) {}
}

/// An observer that ignores everything.
public struct SilentObserver: RunObserver {
    public init() {}
    public func jobStarted(_ job: PlannedJob, at date: Date) {}
    public func stepStarted(_ job: PlannedJob, index: Int, name: String) {}
    public func jobFinished(_ result: JobResult) {}
}
