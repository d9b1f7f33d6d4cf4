import HookIntake
import Foundation
public import GitKit
import Runner
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
            lock = WorkerLock.acquire(in: stateFolder, wait: true)
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
        var recorder = ResultRecorder(gitDirectory: gitDirectory, stateFolder: stateFolder, queue: queue, log: log)
        recoverOrphans(queue, recorder: recorder)
        // Old bookkeeping goes once the work at hand is done: a worker a push started is
        // expected to start that push's build first.
        var pruned = false
        var queueCheck = QueueCheck()
        var awaitingPush = self.awaitingPush
        var running: [Int64: Task<Void, Never>] = [:]
        let finished = FinishedBuilds()
        var idleSince: ContinuousClock.Instant?
        while lock != nil {
            recorder.retry()
            Spool.drain(into: queue, stateFolder: stateFolder, log: log)
            for id in finished.take() { running[id] = nil }
            let wereRunning = Set(running.keys)
            let capacity = parallelBuilds - running.count
            var claimed: [Build]
            var pushed: [PushEvent] = []
            do {
                let round = try PushProcessor(repository: repository, queue: queue, log: log)
                    .processPending(thenClaimUpTo: capacity, runID: { StateFolder.newRunID() })
                claimed = round.claimed
                pushed = round.processed
                if !pushed.isEmpty { awaitingPush = false }
                if round.more { wakeup.signal() }
            } catch {
                log("gitci: worker: cannot process pushes: \(error)")
                queueCheck.failed = true
                // What is queued already still builds.
                claimed = (try? queue.claim(upTo: capacity, runID: { StateFolder.newRunID() })) ?? []
            }
            var underway: [Wakeup] = []
            for build in claimed {
                let started = Wakeup()
                var execution = BuildExecution(gitDirectory: gitDirectory, queue: queue, recorder: recorder,
                                               parallelJobs: parallelJobs, log: log)
                execution.underway = { started.signal() }
                running[build.id] = Task {
                    await execution.run(build)
                    started.signal()
                    // For the next build, now that this one is done (and before the worker may leave).
                    StateFolder(gitCommonDirectory: gitDirectory).makeSpareRun()
                    finished.add(build.id)
                    wakeup.signal()
                }
                underway.append(started)
            }
            // The next round, which another hook's nudge would start at once, waits until the new
            // builds' first steps have started: on two cores it would take the processor their
            // way there needs.
            let underwayBy = ContinuousClock.now + .seconds(Self.underwayPatience)
            for started in underway {
                let left = Self.seconds(underwayBy - ContinuousClock.now)
                if left > 0 { await started.wait(seconds: left) }
            }
            // Not before: the pushed repository's own builds come first.
            if !pushed.isEmpty { triggerDependents(of: pushed, in: repository) }
            // Only builds that ran before this round can have been asked to stop; the queue is
            // not read again while a new build is on its way to its first step.
            if !wereRunning.isEmpty, let cancelled = try? queue.cancelRequested() {
                for id in cancelled.intersection(wereRunning) { running[id]?.cancel() }
            }
            // Only the lock's holder runs builds: a build the queue says runs that no task of this
            // worker runs lost its worker (killed, or one that was leaving as this one came), at any
            // time, not only before this worker started. Left alone it would keep the worker from
            // ever idling, and every `worker --once` waiting for it to drain.
            if running.isEmpty, !recorder.isHolding, recoverOrphans(queue, recorder: recorder) {
                continue
            }
            // Nothing else uses the queue now: if its file is damaged, it is replaced.
            if running.isEmpty, !recorder.isHolding, queueCheck.isDue(awaitingPush: awaitingPush),
               let fresh = BuildQueue.repairedIfCorrupt(queue, stateFolder: stateFolder, report: log) {
                queue = fresh
                recorder = ResultRecorder(gitDirectory: gitDirectory, stateFolder: stateFolder, queue: queue, log: log)
                continue
            }
            if running.isEmpty, !recorder.isHolding, !((try? queue.hasWork()) ?? false) {
                if awaitingPush, !readAhead {
                    // Then look again at once: the push may have come in the meantime.
                    readAhead = true
                    Self.readPipelineAhead(repository)
                    continue
                }
                if !pruned, !awaitingPush {
                    try? queue.prune()
                    pruned = true
                }
                let idle = idleSince ?? .now
                idleSince = idle
                let stayed = ContinuousClock.now - idle
                let stay = awaitingPush ? linger.map { max($0, Self.awaitedPushGrace) } : linger
                if stay.map({ stayed < .seconds($0) }) ?? true {
                    let left = stay.map { Double($0) - Self.seconds(stayed) } ?? .infinity
                    await wakeup.wait(seconds: min(Self.pollInterval * 5, left))
                    continue
                }
                // The next push then finds the queue's WAL started (BuildQueue.startWALOver).
                queue.startWALOver()
                // Let go, then look once more: a hook that queued a push just before we let go
                // saw the lock held and started no worker, so that push is ours.
                lock = nil
                guard (try? queue.hasWork()) == true || FileManager.default.fileExists(atPath: Spool.path(in: stateFolder)),
                      let again = WorkerLock.acquire(in: stateFolder, wait: false) else { return }
                lock = again
                continue
            }
            idleSince = nil
            await wakeup.wait(seconds: Self.pollInterval)
        }
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

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Builds a killed worker was running go back to the queue, and the processes their steps
    /// left behind are stopped. Those asked to stop meanwhile end cancelled instead. Call only
    /// while no build of this worker runs or waits to be recorded: every running build is taken
    /// for an orphan. True when there was one.
    @discardableResult
    private func recoverOrphans(_ queue: BuildQueue, recorder: ResultRecorder) -> Bool {
        do {
            let orphans = try queue.requeueOrphans()
            guard !orphans.isEmpty else { return false }
            for build in orphans {
                let groups = Set((try? queue.processGroups(of: [build.id])) ?? [])
                let stopped = build.runID.map { OrphanProcesses.kill(groups: groups, runID: $0) } ?? 0
                let leftovers = stopped > 0 ? "; stopped \(stopped) processes it left running" : ""
                let outcome = build.cancelRequested ? "cancelled, as asked" : "queued again"
                log("gitci: worker: build \(build.id) of \(build.commit.prefix(10)) lost its worker; \(outcome)\(leftovers)")
                if build.cancelRequested {
                    BuildExecution(gitDirectory: gitDirectory, queue: queue, recorder: recorder, parallelJobs: parallelJobs, log: log)
                        .finishCancelledOrphan(build)
                }
            }
            return true
        } catch {
            log("gitci: worker: cannot look for lost builds: \(error)")
            return false
        }
    }
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
