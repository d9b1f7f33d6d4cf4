import Foundation
import Pipeline
import Runner
import Synchronization

/// Progress on a terminal: one status line per job, redrawn in place as jobs move along.
final class LiveProgress: RunObserver {
    private struct Line {
        var name: String
        var status: JobStatus = .queued
        var started: Date?
        var durationMs: Int?
        var detail: String?
    }

    private let terminal: Terminal
    private let stream: FileHandle
    private let state: Mutex<(lines: [Line], drawn: Int)>
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    init(plan: Plan, terminal: Terminal, stream: FileHandle) {
        self.terminal = terminal
        self.stream = stream
        state = Mutex((plan.jobs.map { Line(name: $0.name) }, 0))
        redraw()
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                self?.redraw()
            }
        }
        ticker.withLock { $0 = task }
    }

    /// Stops the clock and leaves the final state on screen.
    func finish() {
        ticker.withLock { $0?.cancel() }
        redraw()
    }

    func jobStarted(_ job: PlannedJob, at date: Date) {
        update(job.name) { $0.status = .running; $0.started = date }
    }

    func stepStarted(_ job: PlannedJob, index: Int, name: String) {
        update(job.name) { $0.detail = "step \(index + 1)/\(job.steps.count): \(name)" }
    }

    func jobFinished(_ result: JobResult) {
        update(result.name) {
            $0.status = result.status
            $0.durationMs = result.started == nil ? nil : result.durationMs
            $0.detail = result.reason
        }
    }

    private func update(_ name: String, _ change: (inout Line) -> Void) {
        state.withLock { state in
            if let index = state.lines.firstIndex(where: { $0.name == name }) { change(&state.lines[index]) }
        }
        redraw()
    }

    private func redraw() {
        state.withLock { state in
            let columns = terminal.size.columns
            var output = state.drawn > 0 ? "\u{1B}[\(state.drawn)A" : ""
            let nameWidth = min(40, state.lines.map(\.name.count).max() ?? 0)
            for line in state.lines {
                let elapsed: String
                if let durationMs = line.durationMs {
                    elapsed = Duration.format(milliseconds: durationMs)
                } else if let started = line.started {
                    elapsed = Duration.format(milliseconds: Int(Date().timeIntervalSince(started) * 1000))
                } else {
                    elapsed = ""
                }
                let name = line.name.count > nameWidth ? String(line.name.prefix(nameWidth - 1)) + "…"
                    : line.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                let status = line.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                var text = "\(terminal.paint(line.status.symbol, line.status.color)) \(name)  \(terminal.paint(status, line.status.color)) \(elapsed.padding(toLength: 7, withPad: " ", startingAt: 0))"
                // A wrapped line would break the cursor arithmetic: cut the detail to what fits.
                let used = 1 + 1 + nameWidth + 2 + 9 + 1 + 7 + 1
                if let detail = line.detail, columns - used > 4 {
                    let room = columns - used - 1
                    let shown = detail.count > room ? String(detail.prefix(room - 1)) + "…" : detail
                    text += " " + terminal.paint(shown, .gray)
                }
                output += "\u{1B}[2K\(text)\n"
            }
            state.drawn = state.lines.count
            Output.write(output, to: stream)
        }
    }
}
