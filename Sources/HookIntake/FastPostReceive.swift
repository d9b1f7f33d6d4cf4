internal import CHookSupport
import Glibc

/// The post-receive hook's fast path, for the lean `gitci-hook` executable: a push of
/// well-formed ref updates without push options goes straight into an existing queue, and a
/// worker is nudged or started. Anything else (push options, a malformed line, a queue that
/// cannot take it) is handed over to `gitci hook post-receive`, which knows every case and
/// says what it did; nothing is recorded here in that case.
public enum FastPostReceive {
    public enum Outcome: Equatable, Sendable {
        case handled
        /// `queueBusy`: another process kept the queue locked all the while the hook waited,
        /// so the full hook spools the push at once instead of waiting as long again.
        case handOver(reason: String, queueBusy: Bool = false)
    }

    /// Set (to 1) for `gitci hook post-receive` when this hook found the queue locked.
    public static let queueBusyVariable = "GITCI_QUEUE_BUSY"

    /// SQLite's result codes for "another connection holds the lock" (sqlite3.h).
    static let sqliteBusy: Int32 = 5
    static let sqliteLocked: Int32 = 6

    public static func run(input: [UInt8], gitDirectory: String, gitci: String, say: (String) -> Void) -> Outcome {
        if let count = getenv("GIT_PUSH_OPTION_COUNT").flatMap({ Int(String(cString: $0)) }), count > 0 {
            return .handOver(reason: "push options")
        }
        var events: [PushEvent] = []
        for line in String(decoding: input, as: UTF8.self).split(separator: "\n") where !line.isEmpty {
            guard let event = try? PushEvent.parse(line, options: []) else {
                return .handOver(reason: "a malformed line")
            }
            events.append(event)
        }
        guard !events.isEmpty else { return .handled }
        let stateFolder = StateLayout.folder(of: gitDirectory)
        var connection: UnsafeMutableRawPointer?
        if let failure = append(events, to: StateLayout.path(StateLayout.queue, in: stateFolder), connection: &connection) {
            return .handOver(reason: failure.reason, queueBusy: failure.busy)
        }
        defer { gitci_queue_close(connection) }
        do {
            try WorkerLauncher.ensureRunning(gitDirectory: gitDirectory, stateFolder: stateFolder, gitci: gitci)
        } catch {
            say(error.hookAdvice)
        }
        return .handled
    }

    /// Nil when the events are on disk in the queue, or why not (and whether because the
    /// queue was locked: SQLITE_BUSY or SQLITE_LOCKED).
    static func append(_ events: [PushEvent], to path: String,
                       connection: inout UnsafeMutableRawPointer?) -> (reason: String, busy: Bool)? {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let received = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        var message = [CChar](repeating: 0, count: 512)
        let rc = WorkerLauncher.withCStrings(events.map(\.old)) { olds in
            WorkerLauncher.withCStrings(events.map(\.new)) { news in
                WorkerLauncher.withCStrings(events.map(\.ref)) { refs in
                    gitci_queue_append(path, PushEvent.insertion, events.count, olds, news, refs, PushEvent.noOptions, received, 2000,
                                       &message, message.count, &connection)
                }
            }
        }
        guard rc != 0 else { return nil }
        let primary = rc & 0xFF
        return ("cannot queue the push in \(path): \(WorkerLauncher.string(message))", primary == sqliteBusy || primary == sqliteLocked)
    }
}

extension WorkerLauncher.LaunchError {
    /// What the pusher is told when the push is queued but no worker could be started.
    public var hookAdvice: String {
        "gitci: the push is queued, but \(description); run `gitci worker --once` in the repository"
    }
}
