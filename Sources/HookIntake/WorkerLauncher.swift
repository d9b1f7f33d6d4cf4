internal import CSpawn
import Glibc

/// Starts a worker for a repository, detached from whoever asked (a hook inside `git push`, a
/// `gitci trigger`), unless a worker already runs there. It builds what is queued and stays
/// for `gitci.workerLinger` once idle.
public enum WorkerLauncher {
    /// The niceness of the builds of a worker started in the background: on a server, git
    /// itself (the push that is still finishing, clones, fetches) comes first. The worker's own
    /// bookkeeping runs at normal priority, so that it takes up a push at once.
    public static let backgroundNiceness: Int32 = 10
    /// Tells a worker the niceness of its builds (Runner's ProcessGroup reads it).
    public static let buildNicenessVariable = "GITCI_BUILD_NICENESS"

    public struct LaunchError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Returns true when a worker was started, false when one was already running (and was
    /// nudged). `gitci` is the full gitci executable: this process's own unless said.
    /// `pushQueued` is false for the pre-receive hook, whose push git has yet to accept: a
    /// running worker has nothing new to look at, and a new one is told to wait for the push.
    ///
    /// The lock is taken here and handed to the new worker, so that from this moment every
    /// other hook finds the worker running: none starts a second one while this one loads.
    @discardableResult
    public static func ensureRunning(gitDirectory: String, stateFolder: String,
                                     gitci: String? = nil, pushQueued: Bool = true) throws(LaunchError) -> Bool {
        let lock: Int32
        switch WorkerLock.takeForNewWorker(in: stateFolder) {
        case .held(let pid):
            if pushQueued, let pid { kill(pid, SIGUSR1) }
            return false
        case .taken(let descriptor):
            lock = descriptor
        case .unavailable:
            // The worker tries itself, and says why it cannot.
            lock = -1
        }
        defer { if lock >= 0 { close(lock) } }
        let executable = gitci ?? ownExecutable() ?? CommandLine.arguments[0]
        let arguments = [executable] + StateLayout.WorkerCommand.arguments(gitDirectory: gitDirectory, awaitingPush: !pushQueued)
        // A hook runs with GIT_DIR=. and friends: they must not reach the worker or its builds.
        var environment = currentEnvironment().filter {
            !$0.hasPrefix("GIT_") && !$0.hasPrefix(FastPostReceive.queueBusyVariable + "=") && !$0.hasPrefix(WorkerLock.handedVariable + "=")
                && !$0.hasPrefix(buildNicenessVariable + "=")
        }
        if lock >= 0 { environment.append(WorkerLock.handedVariable + "=3") }
        environment.append("\(buildNicenessVariable)=\(backgroundNiceness)")
        let logPath = StateLayout.path(StateLayout.workerLog, in: stateFolder)
        var pid: pid_t = 0
        // Ignored here, SIGUSR1 stays ignored in the worker until it is ready for nudges.
        let previous = signal(SIGUSR1, SIG_IGN)
        let rc = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in gitci_spawn_detached(&pid, argv, envp, logPath, lock) }
        }
        signal(SIGUSR1, previous)
        guard rc == 0 else {
            throw LaunchError(description: "cannot start a worker (\(String(cString: strerror(rc))))")
        }
        if lock >= 0 { WorkerLock.record(pid, in: lock) }
        return true
    }

    /// The absolute path of the running executable.
    public static func ownExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return string(buffer[0..<count])
    }

    /// The text of a C buffer, up to its first NUL.
    package static func string(_ buffer: some Collection<CChar>) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `NAME=value` entries of this process's environment.
    static func currentEnvironment() -> [String] {
        var entries: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(String(cString: entry))
            cursor += 1
        }
        return entries
    }

    package static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let array = pointers.map { UnsafePointer($0) } + [nil]
        return array.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
