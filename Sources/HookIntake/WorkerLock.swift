import Glibc

/// The one-worker-per-repository lock: an exclusive `flock` on `<state>/worker.lock`, held for
/// as long as a worker runs and released by the kernel when it dies, even by `kill -9`.
public final class WorkerLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    public static func path(in stateFolder: String) -> String {
        StateLayout.path(StateLayout.workerLock, in: stateFolder)
    }

    /// Takes the lock; with `wait`, blocks until the worker holding it is gone. Nil when it is
    /// held elsewhere (and `wait` is false) or the file cannot be opened.
    public static func acquire(in stateFolder: String, wait: Bool) -> WorkerLock? {
        let descriptor = open(path(in: stateFolder), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        while flock(descriptor, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            close(descriptor)
            return nil
        }
        record(getpid(), in: descriptor)
        return WorkerLock(descriptor: descriptor)
    }

    /// Writes the holder's pid, which hooks nudge (nil: none yet).
    ///
    /// Written over in place, padded to a fixed length, never truncated: truncating frees the
    /// file's block, and on file systems mounted with `discard` (ext4 on many cloud disks) the
    /// process then waits for the device to discard it, ~0.5 ms inside every push that starts a
    /// worker (seen in `perf` as `blkdev_issue_discard` under `ftruncate`).
    static func record(_ pid: pid_t?, in descriptor: Int32) {
        var text = Array((pid.map { String($0) } ?? "").utf8.prefix(recordLength - 1))
        text += [UInt8](repeating: UInt8(ascii: " "), count: recordLength - 1 - text.count) + [UInt8(ascii: "\n")]
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Digits of the largest pid, spaces after them, and a newline. Longer than what earlier
    /// versions wrote (`<pid>\n`), which it therefore covers whole.
    static let recordLength = 12

    /// Set (to 3) in the environment of a worker that was handed the lock on that descriptor.
    public static let handedVariable = "GITCI_WORKER_LOCK_FD"

    enum ForNewWorker {
        /// Taken: the descriptor holds it, to be handed to the worker about to start.
        case taken(Int32)
        case held(pid: Int32?)
        case unavailable
    }

    /// Takes the lock for a worker that is yet to start, or says who holds it.
    static func takeForNewWorker(in stateFolder: String) -> ForNewWorker {
        let descriptor = open(path(in: stateFolder), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return .unavailable }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            defer { close(descriptor) }
            return errno == EWOULDBLOCK ? .held(pid: pid(in: descriptor)) : .unavailable
        }
        // Until the worker's pid is in, nobody must read the last one's (which may belong to
        // another process by now) and nudge it.
        record(nil, in: descriptor)
        return .taken(descriptor)
    }

    /// The lock a hook took and handed to this worker (WorkerLauncher), if it was: descriptor 3,
    /// which must be the lock file of `stateFolder`. Kept from the worker's builds.
    public static func handedToThisWorker(in stateFolder: String) -> WorkerLock? {
        guard let value = getenv(handedVariable).map({ String(cString: $0) }) else { return nil }
        unsetenv(handedVariable)
        guard value == "3" else { return nil }
        var handed = stat(), file = stat()
        guard fstat(3, &handed) == 0, stat(path(in: stateFolder), &file) == 0,
              handed.st_dev == file.st_dev, handed.st_ino == file.st_ino else { return nil }
        _ = fcntl(3, F_SETFD, FD_CLOEXEC)
        // The same open file as the hook's: the lock it took is this one, and taking it again
        // succeeds at once. Failing, it was not.
        guard flock(3, LOCK_EX | LOCK_NB) == 0 else { return nil }
        record(getpid(), in: 3)
        return WorkerLock(descriptor: 3)
    }

    /// What a hook needs to know: whether a worker runs, and if so who, so that it can be
    /// nudged (SIGUSR1) to start a pushed build at once instead of at its next poll. One open
    /// and one flock attempt: this runs inside every push. The pid in the file is trusted only
    /// while the lock is held, when its writer is alive and the pid cannot have been reused.
    public enum Holder {
        case none
        case worker(pid: Int32?)
    }

    public static func holder(in stateFolder: String) -> Holder {
        let descriptor = open(path(in: stateFolder), O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return .none }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return .none
        }
        guard errno == EWOULDBLOCK else { return .none }
        return .worker(pid: pid(in: descriptor))
    }

    /// The pid the holder wrote; nil while a hook that is starting a worker holds the lock.
    private static func pid(in descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(descriptor, &buffer, buffer.count - 1, 0)
        let digits = count > 0 ? buffer[0..<count].prefix { $0 >= 0x30 && $0 <= 0x39 } : []
        return Int32(String(decoding: digits, as: UTF8.self)).flatMap { $0 > 1 ? $0 : nil }
    }
}
