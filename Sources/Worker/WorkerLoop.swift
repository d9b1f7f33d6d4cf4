import Foundation
import GitKit
import HookIntake
import Runner
import Store

/// One repository's worker once it holds the lock: rounds of taking pushes and queued builds,
/// starting them, passing on cancel requests, and, when nothing is left, lingering or letting go
/// of the lock. Each part is its own step so that a host of many repositories can drive them.
struct WorkerLoop {
    let worker: Worker
    let repository: Repository
    var queue: BuildQueue
    /// Held here alone: letting go of it (`lock = nil`) must close it.
    var lock: WorkerLock?
    let linger: Double?
    let parallelBuilds: Int
    let wakeup: Wakeup

    var recorder: ResultRecorder
    var readAhead: Bool
    var awaitingPush: Bool
    /// Old bookkeeping goes once the work at hand is done: a worker a push started is expected to
    /// start that push's build first.
    var pruned = false
    var queueCheck = QueueCheck()
    var running: [Int64: Task<Void, Never>] = [:]
    let finished = FinishedBuilds()
    var idleSince: ContinuousClock.Instant?
    /// `schedules:` act only in a worker that stays: one that leaves when idle would miss them.
    var schedules: ScheduledBuilds?

    init(worker: Worker, repository: Repository, queue: BuildQueue, lock: WorkerLock?, readAhead: Bool,
         linger: Double?, parallelBuilds: Int, wakeup: Wakeup) {
        self.worker = worker
        self.repository = repository
        self.queue = queue
        self.lock = lock
        self.readAhead = readAhead
        self.linger = linger
        self.parallelBuilds = parallelBuilds
        self.wakeup = wakeup
        awaitingPush = worker.awaitingPush
        recorder = ResultRecorder(gitDirectory: worker.gitDirectory, stateFolder: worker.stateFolder, queue: queue, log: worker.log)
        if linger == nil { schedules = ScheduledBuilds(stateFolder: worker.stateFolder, log: worker.log) }
    }

    var stateFolder: String { worker.stateFolder }
    /// Nothing of this worker's is running or waiting to be recorded.
    var isQuiet: Bool { running.isEmpty && !recorder.isHolding }

    mutating func run() async {
        recoverOrphans()
        while lock != nil {
            recorder.retry()
            Spool.drain(into: queue, stateFolder: stateFolder, log: worker.log)
            for id in finished.take() { running[id] = nil }
            // Before the round: a build a schedule queues is claimed in it. An idle round waits
            // far less than ScheduledBuilds.interval, so a schedule is looked at on time.
            lookAtSchedules()
            let wereRunning = Set(running.keys)
            let round = takeRound()
            await start(round.claimed)
            // Not before: the pushed repository's own builds come first.
            if !round.pushed.isEmpty { worker.triggerDependents(of: round.pushed, in: repository) }
            passOnCancelRequests(to: wereRunning)
            if isQuiet, repairWhileQuiet() { continue }
            if isQuiet, !((try? queue.hasWork()) ?? false) {
                if await idle() == .leave { return }
                continue
            }
            idleSince = nil
            await wakeup.wait(seconds: Worker.pollInterval)
        }
    }

    mutating func lookAtSchedules() {
        guard var schedules else { return }
        schedules.lookIfDue(in: repository, queue: queue, now: Int64(Date().timeIntervalSince1970))
        self.schedules = schedules
    }

    /// Turns pending pushes into builds, and claims as many queued builds as there is room for.
    mutating func takeRound() -> (claimed: [Build], pushed: [PushEvent]) {
        let capacity = parallelBuilds - running.count
        do {
            let round = try PushProcessor(repository: repository, queue: queue, log: worker.log)
                .processPending(thenClaimUpTo: capacity, runID: { StateFolder.newRunID() })
            if !round.processed.isEmpty { awaitingPush = false }
            if round.more { wakeup.signal() }
            return (round.claimed, round.processed)
        } catch {
            worker.log("gitci: worker: cannot process pushes: \(error)")
            queueCheck.failed = true
            // What is queued already still builds.
            return ((try? queue.claim(upTo: capacity, runID: { StateFolder.newRunID() })) ?? [], [])
        }
    }

    func execution() -> BuildExecution {
        BuildExecution(gitDirectory: worker.gitDirectory, queue: queue, recorder: recorder,
                       parallelJobs: worker.parallelJobs, dispatch: worker.dispatch, log: worker.log)
    }

    /// Starts the claimed builds, each in its own task, and returns once their first steps have
    /// started (or a short patience ran out): the next round, which another hook's nudge would
    /// start at once, would take the processor their way there needs on two cores.
    mutating func start(_ claimed: [Build]) async {
        var underway: [Wakeup] = []
        for build in claimed {
            let started = Wakeup()
            var execution = execution()
            execution.underway = { started.signal() }
            let gitDirectory = worker.gitDirectory
            let finished = finished
            let wakeup = wakeup
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
        let underwayBy = ContinuousClock.now + .seconds(Worker.underwayPatience)
        for started in underway {
            let left = Worker.seconds(underwayBy - ContinuousClock.now)
            if left > 0 { await started.wait(seconds: left) }
        }
    }

    /// Only builds that ran before this round can have been asked to stop; the queue is not read
    /// again while a new build is on its way to its first step.
    func passOnCancelRequests(to wereRunning: Set<Int64>) {
        guard !wereRunning.isEmpty, let cancelled = try? queue.cancelRequested() else { return }
        for id in cancelled.intersection(wereRunning) { running[id]?.cancel() }
    }

    /// While nothing of this worker's runs: builds that lost their worker go back to the queue, and
    /// a damaged queue file is replaced. True when something was done (look at the queue again).
    mutating func repairWhileQuiet() -> Bool {
        // Only the lock's holder runs builds: a build the queue says runs that no task of this
        // worker runs lost its worker (killed, or one that was leaving as this one came), at any
        // time, not only before this worker started. Left alone it would keep the worker from
        // ever idling, and every `worker --once` waiting for it to drain.
        if recoverOrphans() { return true }
        if queueCheck.isDue(awaitingPush: awaitingPush),
           let fresh = BuildQueue.repairedIfCorrupt(queue, stateFolder: stateFolder, report: worker.log) {
            queue = fresh
            recorder = ResultRecorder(gitDirectory: worker.gitDirectory, stateFolder: stateFolder, queue: queue, log: worker.log)
            return true
        }
        return false
    }

    enum IdleOutcome { case lookAgain, leave }

    /// Nothing to do: read ahead for an awaited push, prune once, linger, and at last let go of
    /// the lock, unless work came in just as it was let go.
    mutating func idle() async -> IdleOutcome {
        if awaitingPush, !readAhead {
            // Then look again at once: the push may have come in the meantime.
            readAhead = true
            Worker.readPipelineAhead(repository)
            return .lookAgain
        }
        if !pruned, !awaitingPush {
            try? queue.prune()
            pruned = true
        }
        let idle = idleSince ?? .now
        idleSince = idle
        let stayed = ContinuousClock.now - idle
        let stay = awaitingPush ? linger.map { max($0, Worker.awaitedPushGrace) } : linger
        if stay.map({ stayed < .seconds($0) }) ?? true {
            let left = stay.map { Double($0) - Worker.seconds(stayed) } ?? .infinity
            await wakeup.wait(seconds: min(Worker.pollInterval * 5, left))
            return .lookAgain
        }
        // The next push then finds the queue's WAL started (BuildQueue.startWALOver).
        queue.startWALOver()
        // Let go, then look once more: a hook that queued a push just before we let go saw the
        // lock held and started no worker, so that push is ours.
        lock = nil
        guard (try? queue.hasWork()) == true || FileManager.default.fileExists(atPath: Spool.path(in: stateFolder)),
              let again = WorkerLock.acquire(in: stateFolder, wait: false) else { return .leave }
        lock = again
        return .lookAgain
    }

    /// Builds a killed worker was running go back to the queue, and the processes their steps
    /// left behind are stopped. Those asked to stop meanwhile end cancelled instead. Call only
    /// while no build of this worker runs or waits to be recorded: every running build is taken
    /// for an orphan. True when there was one.
    @discardableResult
    func recoverOrphans() -> Bool {
        do {
            let orphans = try queue.requeueOrphans()
            guard !orphans.isEmpty else { return false }
            for build in orphans {
                let groups = Set((try? queue.processGroups(of: [build.id])) ?? [])
                let stopped = build.runID.map { OrphanProcesses.kill(groups: groups, runID: $0) } ?? 0
                let leftovers = stopped > 0 ? "; stopped \(stopped) processes it left running" : ""
                let outcome = build.cancelRequested ? "cancelled, as asked" : "queued again"
                worker.log("gitci: worker: build \(build.id) of \(build.commit.prefix(10)) lost its worker; \(outcome)\(leftovers)")
                if build.cancelRequested {
                    execution().finishCancelledOrphan(build)
                }
            }
            return true
        } catch {
            worker.log("gitci: worker: cannot look for lost builds: \(error)")
            return false
        }
    }
}
