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
        stateFolder + "/worker.lock"
    }

    /// Takes the lock; with `wait`, blocks until the worker holding it is gone. Nil when it is
    /// held elsewhere (and `wait` is false) or the file cannot be opened.
    public static func acquire(in stateFolder: String, wait: Bool) -> WorkerLock? {
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

    /// What a hook needs to know: whether a worker runs, and if so who, so that it can be
    /// nudged (SIGUSR1) to start a pushed build at once instead of at its next poll. One open
    /// and one flock attempt: this runs inside every push. The pid in the file is trusted only
    /// while the lock is held, when its writer is alive and the pid cannot have been reused.
    public enum Holder {
        case none
        case worker(pid: Int32?)
    }

    public static func holder(in stateFolder: String) -> Holder {
        let descriptor = open(path(in: stateFolder), O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return .none }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return .none
        }
        guard errno == EWOULDBLOCK else { return .none }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = pread(descriptor, &buffer, buffer.count - 1, 0)
        let digits = count > 0 ? buffer[0..<count].prefix { $0 >= 0x30 && $0 <= 0x39 } : []
        let pid = Int32(String(decoding: digits, as: UTF8.self))
        return .worker(pid: pid.flatMap { $0 > 1 ? $0 : nil })
    }
}
