import HookIntake
import Foundation
public import GitKit
public import Runner
public import Store
import Synchronization

/// `gitci worker`: drains a repository's queue. Turns pushes into plan branches and builds,
/// runs builds (several at once, up to `parallelBuilds`), writes their results as notes and
/// keeps the index current. One worker per repository, enforced by the worker lock.
public struct Worker: Sendable {
    public let gitDirectory: String
    /// Builds at once; nil for `gitci.workerBuilds` in the repository's config, else 2.
    public let parallelBuilds: Int?
    /// Jobs at once inside one build.
    public let parallelJobs: Int
    /// How long to stay once the queue is empty. A worker a push started stays a while, so
    /// that the next push finds it running: starting one costs a push ~5 ms more before its
    /// build starts.
    public enum Linger: Sendable, Equatable {
        /// Wait for work for ever (a service).
        case forever
        /// Exit once the queue has been empty this many seconds; 0 is `--once`.
        case seconds(Double)
        /// `gitci.workerLinger` in the repository's config (`0`, `45`, `2m`), else 30 seconds.
        case configured
    }

    public let linger: Linger
    /// Started by the pre-receive hook, for a push git is still accepting: until a push is
    /// processed, stay at least `awaitedPushGrace`, whatever `linger` says. With
    /// `gitci.workerLinger` 0 it would otherwise be gone before the push was queued, and the
    /// post-receive hook would have to start another.
    public let awaitingPush: Bool
    /// Who runs the builds' jobs: nil, this machine; `gitci serve` hands them to build agents.
    public var dispatch: (any JobDispatch)?
    let log: @Sendable (String) -> Void

    /// How long a worker waits for the push it was started for. git queues it (post-receive)
    /// milliseconds after the pre-receive hook, unless the push is refused in between.
    static let awaitedPushGrace: Double = 10

    public init(gitDirectory: String, parallelBuilds: Int?, parallelJobs: Int, linger: Linger, awaitingPush: Bool = false,
                log: @escaping @Sendable (String) -> Void) {
        self.gitDirectory = gitDirectory
        self.parallelBuilds = parallelBuilds.map { max(1, $0) }
        self.parallelJobs = max(1, parallelJobs)
        self.linger = linger
        self.awaitingPush = awaitingPush
        self.log = log
    }

    var stateFolder: String { StateLayout.folder(of: gitDirectory) }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// How often an idle or busy worker looks for new pushes and cancel requests.
    static let pollInterval = 0.1
    /// How long the loop waits at most for builds it just claimed to start their first steps.
    static let underwayPatience = 0.05

    /// A worker whose start is on the way to a push's first build (WorkerCommand's worker a hook
    /// started) comes with what it has opened already: the repository at `gitDirectory`, its
    /// pipeline at HEAD read ahead (see readPipelineAhead), and the queue on its way.
    public struct Opened {
        let repository: Repository
        let pipelineReadAhead: Bool
        let queue: @Sendable () async -> BuildQueue?

        public init(repository: Repository, pipelineReadAhead: Bool, queue: @escaping @Sendable () async -> BuildQueue?) {
            self.repository = repository
            self.pipelineReadAhead = pipelineReadAhead
            self.queue = queue
        }
    }

    public func run(opened: sending Opened? = nil) async throws(Failure) {
        // First of all: a worker a hook started holds the lock the hook took for it. Held in
        // `lock` alone: letting go of the lock (below) must close it, and a second reference
        // kept it open until the worker returned, so a push queued in between was left for
        // the next push to start a worker for.
        var lock = WorkerLock.handedToThisWorker(in: stateFolder)
        let repository: Repository
        var readAhead = false
        var openingQueue: (@Sendable () async -> BuildQueue?)?
        if let opened {
            repository = opened.repository
            readAhead = opened.pipelineReadAhead
            openingQueue = opened.queue
        } else {
            do {
                repository = try Repository.open(gitDirectory)
            } catch {
                throw Failure(description: "\(error)")
            }
        }
        // Before the lock is taken: a hook that finds this worker holding the lock nudges it with
        // SIGUSR1 (see WorkerLock), whose default action would end it. (A worker a hook started
        // holds the lock already, and has SIGUSR1 ignored from its start until here.)
        let wakeup = Wakeup()
        signal(SIGUSR1, SIG_IGN)
        let nudges = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        nudges.setEventHandler { wakeup.signal() }
        nudges.resume()
        defer { nudges.cancel() }

        let linger = lingerSeconds(repository)
        let parallelBuilds = buildLimit(repository)
        var queue: BuildQueue
        do {
            let openedQueue = await openingQueue?()
            queue = try openedQueue ?? BuildQueue.openRepairing(stateFolder: stateFolder, report: log)
        } catch {
            throw Failure(description: "\(error)")
        }
        StateFolderModes.secure(stateFolder)
        if lock == nil, linger == nil {
            // Waited for without holding a thread: a coordinator hosts many repositories' workers.
            while lock == nil, !Task.isCancelled {
                lock = WorkerLock.acquire(in: stateFolder, wait: false)
                if lock == nil { try? await Task.sleep(for: .milliseconds(200)) }
            }
        } else if lock == nil {
            // A worker that will exit when idle need not outlast one that runs already (which
            // may linger for a while): it waits only until that one has built what is queued.
            switch await lockOrQueueDrained(queue) {
            case .acquired(let acquired): lock = acquired
            case .drainedByAnother: return
            case .unavailable: lock = nil
            }
        }
        guard lock != nil else {
            throw Failure(description: "cannot take the worker lock \(WorkerLock.path(in: stateFolder))")
        }
        var loop = WorkerLoop(worker: self, repository: repository, queue: queue, lock: lock.take(), readAhead: readAhead,
                              linger: linger, parallelBuilds: parallelBuilds, wakeup: wakeup)
        await loop.run()
    }

    /// What a worker waiting for its push can do meanwhile: parse and plan the pipeline at
    /// HEAD. It is most often the very file the push brings, whose parse is then kept (by blob
    /// id, PipelineSource.config); if not, Yams and the planner have had their first, slowest
    /// run all the same: ~1 ms less on the way from the push to its first step.
    public static func readPipelineAhead(_ repository: Repository) {
        guard let head = try? repository.resolveCommit("HEAD"),
              let file = try? PipelineSource.read(at: head, in: repository) else { return }
        _ = try? PipelineSource.plan(file.bytes, blob: file.blob)
    }

    private enum LockOutcome {
        case acquired(WorkerLock)
        /// Another worker holds the lock and has built everything queued.
        case drainedByAnother
        case unavailable
    }

    private func lockOrQueueDrained(_ queue: BuildQueue) async -> LockOutcome {
        while true {
            if let lock = WorkerLock.acquire(in: stateFolder, wait: false) { return .acquired(lock) }
            guard case .worker = WorkerLock.holder(in: stateFolder) else {
                // Let go just now, or the lock file cannot be opened: one more try tells which.
                return WorkerLock.acquire(in: stateFolder, wait: false).map { .acquired($0) } ?? .unavailable
            }
            let spooled = FileManager.default.fileExists(atPath: Spool.path(in: stateFolder))
            if !spooled, (try? queue.hasWork()) == false { return .drainedByAnother }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Runs the jobs of the builds a worker takes somewhere else than here alone (`gitci serve`:
/// on build agents and its own slots).
public protocol JobDispatch: Sendable {
    func runner(for run: LocalRun, gitDirectory: String) -> any JobRunning
}

/// Ids of builds whose tasks ended, handed from those tasks to the worker's loop.
final class FinishedBuilds: Sendable {
    private let ids = Mutex<[Int64]>([])

    func add(_ id: Int64) {
        ids.withLock { $0.append(id) }
    }

    func take() -> [Int64] {
        ids.withLock { ids in
            defer { ids.removeAll() }
            return ids
        }
    }
}
