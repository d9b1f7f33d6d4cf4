import Foundation
import Runner
import Store

/// The coordinator's own job slots (`gitci serve` without `--no-local-jobs`): they claim from
/// the same queue as agents, so that a job runs once wherever it runs, and run what they claim
/// on this machine as the embedded worker would.
struct LocalSlots: Sendable {
    let dispatcher: Dispatcher

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<dispatcher.localSlots {
                group.addTask { await slot() }
            }
        }
    }

    private func slot() async {
        let queue = dispatcher.queue
        while !Task.isCancelled {
            let generation = dispatcher.work.generation(0)
            let ids = dispatcher.localJobIDs
            if !ids.isEmpty,
               let row = try? queue.claimJob(agent: dispatcher.localName, token: "", labels: dispatcher.localLabels, among: ids,
                                             lease: dispatcher.lease, now: Date().timeIntervalSince1970) {
                await runClaimed(row)
                continue
            }
            await dispatcher.work.wait(0, since: generation, seconds: 5)
        }
    }

    private func runClaimed(_ row: CoordinatorStore.DispatchedJob) async {
        let queue = dispatcher.queue
        guard let local = dispatcher.localJob(row.id) else {
            // Its build ended in between: nobody waits for a result.
            _ = try? queue.finishJob(row.id, attempt: row.attempt, agent: dispatcher.localName, result: Data(), cancelled: true,
                                     now: Date().timeIntervalSince1970)
            return
        }
        local.events.waiting(nil)
        let job = Task { await local.runner.run(local.job, local.assignment, events: local.events) }
        let lease = Task {
            while !Task.isCancelled {
                let generation = dispatcher.cancels.generation(row.id)
                let check = try? queue.renewLease(row.id, attempt: row.attempt, agent: dispatcher.localName, lease: dispatcher.lease,
                                                  now: Date().timeIntervalSince1970)
                if Task.isCancelled { return }
                if check == .lost || check == .held(cancelRequested: true) {
                    job.cancel()
                    return
                }
                await dispatcher.cancels.wait(row.id, since: generation, seconds: dispatcher.lease / 3)
            }
        }
        let result = await job.value
        lease.cancel()
        dispatcher.cancels.signal(row.id)
        let data = (try? JSONEncoder().encode(result)) ?? Data()
        _ = try? queue.finishJob(row.id, attempt: row.attempt, agent: dispatcher.localName, result: data,
                                 cancelled: result.status == .cancelled, now: Date().timeIntervalSince1970)
        dispatcher.ended.signal(row.id)
    }
}
