import Foundation

/// Turns Ctrl-C (SIGINT), SIGTERM and a hang-up (SIGHUP: the terminal or ssh connection went
/// away) into cancellation of one task, so that running steps are stopped group by group and the
/// run still reports, instead of the process dying mid-write. Steps run in process groups of
/// their own, which the terminal's signals never reach: if gitci died, they would run on
/// unsupervised.
final class InterruptHandler {
    private let sources: [any DispatchSourceSignal]

    init(cancelling task: Task<some Sendable, Never>, onInterrupt: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                onInterrupt()
                task.cancel()
            }
            source.resume()
            return source
        }
    }

    func stop() {
        sources.forEach { $0.cancel() }
    }
}
