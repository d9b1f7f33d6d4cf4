import Foundation
import Pipeline
import Runner
import Synchronization

/// Progress for logs and pipes: one timestamped line per event.
final class PlainProgress: RunObserver {
    private let terminal: Terminal
    private let stream: FileHandle
    private let lock = Mutex(())

    init(terminal: Terminal, stream: FileHandle) {
        self.terminal = terminal
        self.stream = stream
    }

    func jobStarted(_ job: PlannedJob, at date: Date) {
        line("\(terminal.paint("started ", .blue)) \(job.name)")
    }

    func stepStarted(_ job: PlannedJob, index: Int, name: String) {}

    func jobFinished(_ result: JobResult) {
        var text = "\(terminal.paint(result.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0), result.status.color)) \(result.name)"
        if result.started != nil { text += "  \(Duration.format(milliseconds: result.durationMs))" }
        if let reason = result.reason { text += terminal.paint("  (\(reason))", .gray) }
        line(text)
    }

    private func line(_ text: String) {
        var now = time_t(Date().timeIntervalSince1970)
        var parts = tm()
        localtime_r(&now, &parts)
        let stamp = String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
        lock.withLock { _ in Output.write("\(terminal.paint(stamp, .gray)) \(text)\n", to: stream) }
    }
}
