import Foundation
import GitKit
import HookIntake
import Pipeline
import Runner
import Store

/// `trigger: true`: what a push's ref updates start elsewhere. A plan branch of a repository
/// installed on this machine whose pipeline (at the branch's tip) has a `repos:` entry with
/// `trigger: true` naming a pushed repository and ref gets a build of its tip, with the pushed
/// commit pinned for that entry. That build counts as an update of its own branch in turn, for
/// the repositories that name it (pinned to its tip), and so on down the chain, all decided
/// here, at once: a chain never visits one repository's branch twice, so A ↔ B ends after one
/// build each way.
///
/// Runs in the pushed repository's worker after that push's own builds have started: it reads
/// other repositories and their queues, which is no part of the way from a push to its first
/// step. Whatever goes wrong is logged and triggers nothing; it never stops a build.
struct TriggerScan {
    /// The worker's repository (the real path of its git directory).
    let gitDirectory: String
    let repository: Repository
    let registry: RepositoryRegistry
    let log: (String) -> Void

    /// A build to queue.
    struct Triggered {
        let gitDirectory: String
        let branch: String
        let commit: String
        var request: BuildRequest
        let reason: String
    }

    /// The updates among a round's processed `events` that trigger: branches and tags that
    /// moved to a commit (not deleted, not pushed with `ci.skip`) and still point there; an
    /// update overtaken by a newer one of its ref leaves the triggering to that one.
    func updates(of events: [PushEvent]) -> [RefUpdate] {
        var latest: [String: PushEvent] = [:]
        var order: [String] = []
        for event in events where !event.isDeletion && !event.options.contains("ci.skip") {
            let target = BuildTarget(ref: event.ref)
            guard target.branch != nil || target.tag != nil else { continue }
            if latest.updateValue(event, forKey: event.ref) == nil { order.append(event.ref) }
        }
        return order.compactMap { ref in
            guard let event = latest[ref], let commit = try? repository.resolveCommit(event.new),
                  repository.referenceTarget(ref) == commit else { return nil }
            return RefUpdate(gitDirectory: gitDirectory, ref: ref, commit: commit.hex)
        }
    }

    /// Finds what `updates` trigger, queues it in each repository's queue and starts (or
    /// nudges) those repositories' workers. Returns what was queued.
    @discardableResult
    func run(_ updates: [RefUpdate]) -> [Triggered] {
        guard !updates.isEmpty else { return [] }
        let dependents = DependentRepositories(registered: registry.repositories(), own: (gitDirectory, repository), log: log)
        let triggered = plan(updates, dependents: dependents)
        var queued: [Triggered] = []
        for directory in Self.orderedUnique(triggered.map(\.gitDirectory)) {
            let builds = triggered.filter { $0.gitDirectory == directory }
            guard enqueue(builds, in: directory, queue: dependents.queue(of: directory)) else { continue }
            queued += builds
            // This worker builds its own queue's builds in its next round.
            guard directory != gitDirectory else { continue }
            do {
                try WorkerLauncher.ensureRunning(gitDirectory: directory, stateFolder: StateLayout.folder(of: directory))
            } catch {
                log("gitci: worker: triggers: \(error); run `gitci worker --once` in \(directory)")
            }
        }
        return queued
    }

    /// Follows the chains breadth first, so that each build gets its shortest chain. A plan
    /// branch is built once per scan: one reached from two updates (a diamond, or two pushed
    /// refs it names) pins both. The pushed refs themselves are built by their own pushes.
    func plan(_ updates: [RefUpdate], dependents: DependentRepositories) -> [Triggered] {
        var triggered: [Triggered] = []
        var byKey: [String: Int] = [:]
        var settled = Set(updates.map(\.key))
        // Each update with the chain that led to it, the push first.
        var frontier = updates.map { (update: $0, chain: [$0]) }
        while !frontier.isEmpty {
            var next: [(update: RefUpdate, chain: [RefUpdate])] = []
            for (update, chain) in frontier {
                for dependent in dependents.dependents(of: update) {
                    let ref = BuildTarget.branchPrefix + dependent.branch
                    let key = RefUpdate.key(dependent.gitDirectory, ref)
                    let pins = Dictionary(dependent.entries.map { ($0, update.commit) }, uniquingKeysWith: { $1 })
                    if let index = byKey[key] {
                        triggered[index].request.pinnedRepos?.merge(pins, uniquingKeysWith: { first, _ in first })
                        continue
                    }
                    // A loop (the chain came from there) or a ref this push updates itself.
                    guard !settled.contains(key), !chain.contains(where: { $0.key == key }) else { continue }
                    settled.insert(key)
                    byKey[key] = triggered.count
                    triggered.append(Triggered(
                        gitDirectory: dependent.gitDirectory, branch: dependent.branch, commit: dependent.tip,
                        request: BuildRequest(pinnedRepos: pins, triggeredBy: chain.map(\.key)),
                        reason: Self.reason(chain)))
                    let built = RefUpdate(gitDirectory: dependent.gitDirectory, ref: ref, commit: dependent.tip)
                    next.append((built, chain + [built]))
                }
            }
            frontier = next
        }
        return triggered
    }

    /// `triggered by a push to lib (main) at 1a2b3c4d5e`, `…, through app (main)`.
    static func reason(_ chain: [RefUpdate]) -> String {
        let push = chain[0]
        let through = chain.dropFirst().map(\.description)
        return "triggered by a push to \(push.description) at \(push.commit.prefix(10))"
            + (through.isEmpty ? "" : ", through \(through.joined(separator: ", "))")
    }

    private func enqueue(_ builds: [Triggered], in directory: String, queue: BuildQueue?) -> Bool {
        do {
            let queue = try queue ?? BuildQueue.open(stateFolder: StateLayout.folder(of: directory))
            try queue.update { transaction in
                for build in builds {
                    try transaction.activatePlan(build.branch, commit: build.commit)
                    try transaction.enqueue(commit: build.commit, branch: build.branch, ref: BuildTarget.branchPrefix + build.branch,
                                            reason: build.reason, request: build.request)
                }
            }
        } catch {
            log("gitci: worker: triggers: cannot queue builds in \(directory): \(error)")
            return false
        }
        for build in builds {
            log("gitci: worker: queued a build of \(RefUpdate.name(of: directory)) (\(build.branch)) at \(build.commit.prefix(10)), \(build.reason)")
        }
        return true
    }

    private static func orderedUnique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}

extension Worker {
    /// Builds the plan branches elsewhere (or here) that `trigger: true` entries tie to what
    /// was pushed (TriggerScan).
    func triggerDependents(of pushed: [PushEvent], in repository: Repository) {
        let own = DependentRepositories.realPath(repository.commonDirectory) ?? repository.commonDirectory
        let scan = TriggerScan(gitDirectory: own, repository: repository, registry: RepositoryRegistry(), log: log)
        scan.run(scan.updates(of: pushed))
    }
}
