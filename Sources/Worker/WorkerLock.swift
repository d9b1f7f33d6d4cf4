import Foundation

/// The one-worker-per-repository lock: an exclusive `flock` on `<state>/worker.lock`, held for
/// as long as a worker runs and released by the kernel when it dies, even by `kill -9`.
final class WorkerLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    static func path(in stateFolder: String) -> String {
        (stateFolder as NSString).appendingPathComponent("worker.lock")
    }

    /// Takes the lock; with `wait`, blocks until the worker holding it is gone. Nil when it is
    /// held elsewhere (and `wait` is false) or the file cannot be opened.
    static func acquire(in stateFolder: String, wait: Bool) -> WorkerLock? {
        let descriptor = open(path(in: stateFolder), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        while flock(descriptor, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            close(descriptor)
            return nil
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return WorkerLock(descriptor: descriptor)
    }

    /// Whether a worker holds the lock right now (asked by taking and dropping it).
    static func isHeld(in stateFolder: String) -> Bool {
        let descriptor = open(path(in: stateFolder), O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }
}
