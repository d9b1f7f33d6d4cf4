internal import CSpawn
import Foundation
import HookIntake
import Synchronization

/// How a process ended.
public enum ProcessTermination: Sendable, Hashable {
    case exited(Int32)
    case signaled(Int32)

    /// The shell convention: the exit status, or 128 + the signal number.
    public var exitCode: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }
}

/// A child started as the leader of its own process group, so that it and everything it starts
/// can be stopped together.
///
/// The leader is deliberately left a zombie after it exits until `reap()`: while the zombie
/// exists its pid, which is also the group id, cannot be reused, so signalling the group can
/// never hit an unrelated process. Whoever starts a group must `reap()` it.
public final class ProcessGroup: Sendable {
    public let pid: Int32
    private let state = Mutex(State())

    private struct State {
        var reaped = false
        var killScheduled = false
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let command: String
        public let errno: Int32
        public var description: String { "cannot start \(command): \(String(cString: strerror(errno)))" }
    }

    private init(pid: Int32) {
        self.pid = pid
    }

    /// Starts `arguments` (the first an absolute path) in `directory`; stdin is /dev/null, stdout
    /// and stderr go to `outputDescriptor`. `environment` is the complete environment.
    /// `passing` are descriptors the child gets as 3, 4, … (nothing else of gitci's is open in it).
    public static func spawn(_ arguments: [String], environment: [String], directory: String,
                             outputDescriptor: Int32, passing: [Int32] = []) throws(SpawnError) -> ProcessGroup {
        var pid: pid_t = 0
        let rc = withCStringArray(arguments) { argv in
            withCStringArray(environment) { envp in
                passing.withUnsafeBufferPointer { passed in
                    gitci_spawn_passing(&pid, argv, envp, directory, outputDescriptor, passed.baseAddress, Int32(passed.count))
                }
            }
        }
        guard rc == 0 else { throw SpawnError(command: arguments.first ?? "", errno: rc) }
        // A step inherits the niceness of the thread that started it, which libdispatch may
        // have changed; it gets the one its builds are meant to run at. posix_spawn cannot set
        // it, so it is set on the step's whole group just after: its first instant (the shell
        // starting up) runs at the thread's.
        _ = setpriority(__priority_which_t(PRIO_PGRP.rawValue), id_t(pid), stepNiceness)
        return ProcessGroup(pid: pid)
    }

    /// Starts `arguments` (the first an absolute path) with its standard input, output and
    /// error on the descriptors given; `environment` is the complete environment.
    public static func spawn(_ arguments: [String], environment: [String], input: Int32, output: Int32,
                             error: Int32) throws(SpawnError) -> ProcessGroup {
        var pid: pid_t = 0
        let rc = withCStringArray(arguments) { argv in
            withCStringArray(environment) { envp in gitci_spawn_io(&pid, argv, envp, input, output, error) }
        }
        guard rc == 0 else { throw SpawnError(command: arguments.first ?? "", errno: rc) }
        return ProcessGroup(pid: pid)
    }

    /// GITCI_BUILD_NICENESS when set (by the hook that started this worker: 10), else this
    /// process's niceness as it was started (`nice gitci worker`): the main thread's.
    static let stepNiceness: Int32 = {
        // getenv, not ProcessInfo's environment: that builds a dictionary of every variable.
        if let value = getenv(WorkerLauncher.buildNicenessVariable).flatMap({ Int32(String(cString: $0)) }) {
            return value
        }
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        return errno == 0 ? value : 0
    }()

    /// Waits for the leader to exit without blocking the caller's thread: libdispatch watches a
    /// pidfd of it, which becomes readable at its exit (where the kernel has none, a thread of
    /// its own sits in `waitid`). Does not reap.
    ///
    /// The pidfd's event is not the only way out: a slow timer looks at the leader as well, so
    /// that an event lost or taken early (readable while `waitid` does not show the exit yet)
    /// cannot leave the build, and its worker, waiting for ever.
    public func waitForExit() async -> ProcessTermination {
        let descriptor = gitci_exit_descriptor(pid)
        guard descriptor >= 0 else { return await waitForExitOnThread() }
        let pid = self.pid
        return await withCheckedContinuation { (continuation: CheckedContinuation<ProcessTermination, Never>) in
            let watch = ExitWatch(continuation)
            let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: Self.exits)
            let timer = DispatchSource.makeTimerSource(queue: Self.exits)
            let check: () -> Void = { [source, timer] in
                var code: Int32 = 0
                var signaled: Int32 = 0
                let state = gitci_exit_status_now(pid, &code, &signaled)
                guard state != 0 else { return }
                source.cancel()
                timer.cancel()
                watch.resume(returning: state < 0 ? .signaled(SIGKILL) : signaled == 1 ? .signaled(code) : .exited(code))
            }
            source.setEventHandler(handler: check)
            source.setCancelHandler { close(descriptor) }
            timer.setEventHandler(handler: check)
            timer.schedule(deadline: .now() + Self.exitRecheckInterval, repeating: Self.exitRecheckInterval,
                           leeway: .milliseconds(100))
            source.resume()
            timer.resume()
        }
    }

    /// How often the timer of `waitForExit` looks whether the leader has exited.
    static let exitRecheckInterval: Double = 1

    /// The continuation of one `waitForExit`, resumed once, by whichever of its watchers sees
    /// the exit first.
    private final class ExitWatch: Sendable {
        private let continuation: Mutex<CheckedContinuation<ProcessTermination, Never>?>

        init(_ continuation: CheckedContinuation<ProcessTermination, Never>) {
            self.continuation = Mutex(continuation)
        }

        func resume(returning termination: ProcessTermination) {
            let taken = continuation.withLock { continuation in
                defer { continuation = nil }
                return continuation
            }
            taken?.resume(returning: termination)
        }
    }

    /// Where the exits of every step are taken note of: one serial queue, so that a build of
    /// many parallel steps does not get a thread per exit.
    private static let exits = DispatchQueue(label: "gitci.step-exits")

    package func waitForExitOnThread() async -> ProcessTermination {
        await withCheckedContinuation { (continuation: CheckedContinuation<ProcessTermination, Never>) in
            let pid = self.pid
            let thread = Thread {
                var code: Int32 = 0
                var signaled: Int32 = 0
                let rc = gitci_wait_exit_keep_zombie(pid, &code, &signaled)
                continuation.resume(returning: rc != 0 ? .signaled(SIGKILL) : signaled == 1 ? .signaled(code) : .exited(code))
            }
            thread.stackSize = 64 << 10
            thread.start()
        }
    }

    /// Sends `signal` to every process of the group; a no-op once the leader was reaped.
    public func signal(_ signal: Int32) {
        state.withLock { state in
            guard !state.reaped else { return }
            _ = kill(-pid, signal)
        }
    }

    /// SIGTERM to the group now, SIGKILL after `grace` seconds to whatever is left.
    public func terminate(grace: Double = 3) {
        signal(SIGTERM)
        let schedule = state.withLock { state in
            defer { state.killScheduled = true }
            return !state.killScheduled && !state.reaped
        }
        guard schedule else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
            signal(SIGKILL)
        }
    }

    /// Kills whatever the group still runs (background processes a step left behind) and reaps
    /// the leader. Call once the leader has exited.
    public func reap() {
        state.withLock { state in
            guard !state.reaped else { return }
            _ = kill(-pid, SIGKILL)
            _ = gitci_reap(pid)
            state.reaped = true
        }
    }
}

/// Calls `body` with a NULL-terminated `char *[]` built from `strings`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    let array = pointers.map { UnsafePointer($0) } + [nil]
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}
