public import Foundation
public import Pipeline

/// What a run reports while it goes, for progress displays and (later) live status in the index.
/// Called from many tasks at once.
public protocol RunObserver: Sendable {
    func jobStarted(_ job: PlannedJob, at date: Date)
    func stepStarted(_ job: PlannedJob, index: Int, name: String)
    func jobFinished(_ result: JobResult)
}

/// An observer that ignores everything.
public struct SilentObserver: RunObserver {
    public init() {}
    public func jobStarted(_ job: PlannedJob, at date: Date) {}
    public func stepStarted(_ job: PlannedJob, index: Int, name: String) {}
    public func jobFinished(_ result: JobResult) {}
}
