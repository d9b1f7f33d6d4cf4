import HookIntake
import Foundation
import GitKit
import Runner
import Store
import Synchronization

/// `gitci worker`: drains a repository's queue. Turns pushes into plan branches and builds,
/// runs builds (several at once, up to `parallelBuilds`), writes their results as notes and
/// keeps the index current. One worker per repository, enforced by the worker lock.
public struct Worker: Sendable {
    public let gitDirectory: String
    public let parallelBuilds: Int
    /// Jobs at once inside one build.
    public let parallelJobs: Int
    /// Exit once the queue is empty instead of waiting for more work.
    public let once: Bool
    let log: @Sendable (String) -> Void

    public init(gitDirectory: String, parallelBuilds: Int, parallelJobs: Int, once: Bool,
                log: @escaping @Sendable (String) -> Void) {
        self.gitDirectory = gitDirectory
        self.parallelBuilds = max(1, parallelBuilds)
        self.parallelJobs = max(1, parallelJobs)
        self.once = once
        self.log = log
    }

    var stateFolder: String { (gitDirectory as NSString).appendingPathComponent("gitci") }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// How often an idle or busy worker looks for new pushes and cancel requests.
    static let pollInterval = 0.1

    public func run() async throws(Failure) {
        let queue: BuildQueue
        let repository: Repository
        do {
            repository = try Repository.open(gitDirectory)
            queue = try BuildQueue.openRepairing(stateFolder: stateFolder, report: log)
        } catch {
            throw Failure(description: "\(error)")
        }
        guard var lock = Optional(WorkerLock.acquire(in: stateFolder, wait: true)), lock != nil else {
            throw Failure(description: "cannot take the worker lock \(WorkerLock.path(in: stateFolder))")
        }
        recoverOrphans(queue)
        // Old bookkeeping goes once the work at hand is done: a worker a push started is
        // expected to start that push's build first.
        var pruned = false

        let wakeup = Wakeup()
        // A hook that finds this worker running nudges it with SIGUSR1 (see WorkerLock).
        signal(SIGUSR1, SIG_IGN)
        let nudges = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        nudges.setEventHandler { wakeup.signal() }
        nudges.resume()
        defer { nudges.cancel() }
        var running: [Int64: Task<Void, Never>] = [:]
        let finished = FinishedBuilds()
        while lock != nil {
            Spool.drain(into: queue, stateFolder: stateFolder, log: log)
            do {
                try PushProcessor(repository: repository, queue: queue, log: log).processPending()
            } catch {
                log("gitci: worker: cannot process pushes: \(error)")
            }
            for id in finished.take() { running[id] = nil }
            if let cancelled = try? queue.cancelRequested() {
                for id in cancelled { running[id]?.cancel() }
            }
            while running.count < parallelBuilds, let build = try? queue.claimNext(runID: { StateFolder.newRunID() }) {
                let execution = BuildExecution(gitDirectory: gitDirectory, queue: queue, parallelJobs: parallelJobs, log: log)
                running[build.id] = Task {
                    await execution.run(build)
                    finished.add(build.id)
                    wakeup.signal()
                }
            }
            if running.isEmpty, !((try? queue.hasWork()) ?? false) {
                if !pruned {
                    try? queue.prune()
                    pruned = true
                }
                guard once else {
                    await wakeup.wait(seconds: Self.pollInterval * 5)
                    continue
                }
                // Let go, then look once more: a hook that queued a push just before we let go
                // saw the lock held and started no worker, so that push is ours.
                lock = nil
                guard (try? queue.hasWork()) == true || FileManager.default.fileExists(atPath: Spool.path(in: stateFolder)),
                      let again = WorkerLock.acquire(in: stateFolder, wait: false) else { return }
                lock = again
                continue
            }
            await wakeup.wait(seconds: Self.pollInterval)
        }
    }

    /// Builds a killed worker was running go back to the queue, and the processes their steps
    /// left behind are stopped.
    private func recoverOrphans(_ queue: BuildQueue) {
        do {
            let orphans = try queue.requeueOrphans()
            guard !orphans.isEmpty else { return }
            for build in orphans {
                let groups = Set((try? queue.processGroups(of: [build.id])) ?? [])
                let stopped = build.runID.map { OrphanProcesses.kill(groups: groups, runID: $0) } ?? 0
                let leftovers = stopped > 0 ? "; stopped \(stopped) processes it left running" : ""
                log("gitci: worker: build \(build.id) of \(build.commit.prefix(10)) lost its worker; queued again\(leftovers)")
            }
        } catch {
            log("gitci: worker: cannot look for lost builds: \(error)")
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
