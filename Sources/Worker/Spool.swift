import Foundation
import HookIntake
import Store

/// Where the hook puts a push when the queue cannot take it (locked, full disk, corrupt): one
/// JSON event per line in `<state>/spool.jsonl`, appended with a single write. The worker moves
/// it into the queue before anything else.
enum Spool {
    static func path(in stateFolder: String) -> String {
        StateLayout.path(StateLayout.spool, in: stateFolder)
    }

    static func append(_ events: [PushEvent], stateFolder: String) throws {
        let encoder = JSONEncoder()
        var bytes = Data()
        for event in events {
            bytes.append(try encoder.encode(event))
            bytes.append(0x0A)
        }
        // The worker renames the file, reads it and unlinks it, all under an exclusive lock.
        // A hook that opened it before the rename either gets the lock first (and its lines are
        // read) or finds the file unlinked once it has the lock, and appends to a new one.
        for _ in 0..<10 {
            let descriptor = open(path(in: stateFolder), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            if status.st_nlink == 0 { continue }
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            fsync(descriptor)
            return
        }
        throw POSIXError(.EAGAIN)
    }

    /// Moves spooled events into the queue. The file is renamed first, so that a hook
    /// appending meanwhile starts a new one instead of losing its lines.
    static func drain(into queue: BuildQueue, stateFolder: String, log: (String) -> Void) {
        let spool = path(in: stateFolder)
        let draining = spool + ".draining"
        // Plain system calls: this runs at every turn of the worker's loop.
        if access(draining, F_OK) != 0 {
            guard rename(spool, draining) == 0 else { return }
        }
        let descriptor = open(draining, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // Waits for a hook still appending to the renamed file (see `append`).
        guard flock(descriptor, LOCK_EX) == 0, let data = FileManager.default.contents(atPath: draining) else { return }
        let decoder = JSONDecoder()
        var events: [PushEvent] = []
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            if let event = try? decoder.decode(PushEvent.self, from: Data(line)) {
                events.append(event)
            } else {
                log("gitci: worker: skipping an unreadable spool line")
            }
        }
        do {
            try queue.record(events)
            try FileManager.default.removeItem(atPath: draining)
            if !events.isEmpty { log("gitci: worker: moved \(events.count) spooled ref updates into the queue") }
        } catch {
            log("gitci: worker: cannot move the spool into the queue yet: \(error)")
        }
    }
}
