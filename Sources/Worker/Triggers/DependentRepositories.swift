import Foundation
import GitKit
import HookIntake
import Pipeline
import Runner
import Store

/// A branch or tag of a repository installed with gitci that moved to a commit: a push, or a
/// build a trigger queued (which stands for an update of its plan branch to the repositories
/// that name that branch in turn).
struct RefUpdate: Hashable, Sendable {
    /// The real path of its git directory, as the registry lists it.
    let gitDirectory: String
    /// A full name: `refs/heads/main`, `refs/tags/v1`.
    let ref: String
    let commit: String

    /// How a build's trigger chain (BuildRequest.triggeredBy) names the repository and ref.
    var key: String { Self.key(gitDirectory, ref) }

    static func key(_ gitDirectory: String, _ ref: String) -> String { "\(gitDirectory)@\(ref)" }

    /// `lib (main)`, `lib (tag v1)`: for reasons and the worker's log.
    var description: String {
        let target = BuildTarget(ref: ref)
        let what = target.branch ?? target.tag.map { "tag \($0)" } ?? ref
        return "\(Self.name(of: gitDirectory)) (\(what))"
    }

    /// What people call a repository: its folder's name without `.git` (`/srv/git/lib.git` →
    /// `lib`, `/home/x/app/.git` → `app`).
    static func name(of gitDirectory: String) -> String {
        var path = gitDirectory as NSString
        if path.lastPathComponent == ".git" { path = path.deletingLastPathComponent as NSString }
        let last = path.lastPathComponent
        return last.hasSuffix(".git") && last.count > 4 ? String(last.dropLast(4)) : last
    }
}

/// The plan branches of the repositories installed on this machine (`$GITCI_HOME/repositories`)
/// whose pipelines, at the branches' tips, have `repos:` entries naming an updated ref. Made for
/// one scan: it reads each repository at most once, lazily, and only as far as it must. A
/// repository whose pipeline files never say `trigger` costs a look at each branch's
/// `.gitci.yml` blob, neither a parse nor its queue; its queue is read only once one of its
/// branches names an updated repository.
///
/// Holds libgit2 repositories: it stays in the worker's loop that made it.
final class DependentRepositories {
    /// A plan branch to build because an entry of its pipeline names the updated ref.
    struct Dependent {
        let gitDirectory: String
        let branch: String
        let tip: String
        /// Every entry (by name) of the branch's jobs that names the ref, with `trigger: true`
        /// or not: the build pins them all to the update's commit.
        let entries: [String]
    }

    /// One `repos:` entry of a job that runs on the branch.
    private struct Entry {
        let name: String
        /// Real paths its URL may stand for: the folder, and its `.git` (a working tree).
        let locations: [String]
        /// As written: `main`, `refs/heads/main`, `v1`, `HEAD`, a commit id.
        let ref: String
        let trigger: Bool
    }

    private struct Indexed {
        /// The branches whose jobs have an entry with `trigger: true` (plan branches or not).
        let branches: [(name: String, tip: ObjectID, entries: [Entry])]
    }

    /// A repository's queue and active plan branches, read once one of its branches names an
    /// update. No queue: it cannot be read, and nothing of it is built.
    private struct Plans {
        let queue: BuildQueue?
        let active: Set<String>
    }

    private let candidates: [String]
    private let own: (gitDirectory: String, repository: Repository)
    private let log: (String) -> Void
    private var indexed: [String: Indexed?] = [:]
    private var plansOf: [String: Plans] = [:]
    /// Parsed pipelines by blob id, for this scan: several branches mostly share one.
    private var plans: [ObjectID: Plan?] = [:]
    /// Full ref names of what entries wrote, by repository and text: nil, no such ref there.
    private var fullNames: [String: [String: String?]] = [:]
    private var opened: [String: Repository?] = [:]

    /// `registered`: the registry's git directories (real paths); `own`: the worker's
    /// repository, a candidate too (a branch may name another branch of its own repository).
    init(registered: [String], own: (gitDirectory: String, repository: Repository), log: @escaping (String) -> Void) {
        candidates = registered.contains(own.gitDirectory) ? registered : registered + [own.gitDirectory]
        self.own = own
        self.log = log
    }

    /// The plan branches whose pipelines name `update`'s repository and ref in an entry with
    /// `trigger: true`, in the registry's order.
    func dependents(of update: RefUpdate) -> [Dependent] {
        var found: [Dependent] = []
        for directory in candidates {
            guard let index = index(directory) else { continue }
            for branch in index.branches {
                let naming = branch.entries.filter {
                    $0.locations.contains(update.gitDirectory) && names($0.ref, update)
                }
                guard naming.contains(where: \.trigger), plans(of: directory).active.contains(branch.name) else { continue }
                found.append(Dependent(gitDirectory: directory, branch: branch.name, tip: branch.tip.hex,
                                       entries: Array(Set(naming.map(\.name))).sorted()))
            }
        }
        return found
    }

    /// The queue of a repository this scan found dependents in.
    func queue(of gitDirectory: String) -> BuildQueue? {
        plansOf[gitDirectory]?.queue
    }

    // MARK: - Reading a repository

    private func index(_ directory: String) -> Indexed? {
        if let known = indexed[directory] { return known }
        let made = read(directory)
        indexed[directory] = made
        return made
    }

    private func read(_ directory: String) -> Indexed? {
        guard let repository = repository(at: directory) else { return nil }
        var branches: [(name: String, tip: ObjectID, entries: [Entry])] = []
        for (name, tip) in repository.branches() {
            let file: (bytes: [UInt8], blob: ObjectID)
            do {
                file = try PipelineSource.read(at: tip, in: repository)
            } catch {
                if case .missing = error { continue }
                log("gitci: worker: triggers: \(RefUpdate.name(of: directory)) (\(name)): \(error)")
                continue
            }
            // Most pipelines name no trigger at all: not worth a parse.
            guard Self.mayTrigger(file.bytes), let plan = plan(file, in: directory, branch: name) else { continue }
            let base = SubmoduleCheckout.base(of: repository)
            let entries = plan.jobs.filter { $0.runs(for: .branch(name)) }.flatMap(\.config.repos).map { spec in
                Entry(name: spec.name, locations: Self.locations(of: spec.url, against: base), ref: spec.ref, trigger: spec.trigger)
            }
            guard entries.contains(where: { $0.trigger && !$0.locations.isEmpty }) else { continue }
            branches.append((name, tip, entries))
        }
        return Indexed(branches: branches)
    }

    /// Only plan branches are built; the queue knows which they are.
    private func plans(of directory: String) -> Plans {
        if let known = plansOf[directory] { return known }
        var plans = Plans(queue: nil, active: [])
        do {
            let queue = try BuildQueue.open(stateFolder: StateLayout.folder(of: directory))
            plans = Plans(queue: queue, active: Set(try queue.plans().filter { $0.state == .active }.map(\.branch)))
        } catch {
            log("gitci: worker: triggers: cannot read the plan branches of \(directory): \(error)")
        }
        plansOf[directory] = plans
        return plans
    }

    private static let triggerKey = Array("trigger".utf8)

    /// Whether the file's text holds the word `trigger`, which every entry with
    /// `trigger: true` spells out.
    static func mayTrigger(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= triggerKey.count else { return false }
        let first = triggerKey[0]
        var index = bytes.startIndex
        while let found = bytes[index...].firstIndex(of: first) {
            if bytes[found...].starts(with: triggerKey) { return true }
            index = found + 1
        }
        return false
    }

    private func plan(_ file: (bytes: [UInt8], blob: ObjectID), in directory: String, branch: String) -> Plan? {
        if let known = plans[file.blob] { return known }
        var made: Plan?
        do {
            // Not through PipelineSource's cache of recent parses (by blob): it is kept for the
            // worker's own pipeline, which the next push most likely brings again.
            made = try PipelineSource.plan(file.bytes)
        } catch {
            // Once per file: its own builds report it in full.
            log("gitci: worker: triggers: \(RefUpdate.name(of: directory)) (\(branch)): \(PipelineSource.fileName) "
                + "has errors, so its entries trigger nothing: \(String(describing: error).prefix(300))")
        }
        plans[file.blob] = made
        return made
    }

    /// The real paths a `repos:` URL may stand for on this machine: none for a remote one.
    /// Relative URLs resolve as submodule URLs do (SubmoduleCheckout.base).
    static func locations(of url: String, against base: String) -> [String] {
        let local = url.hasPrefix("/") || url.hasPrefix("./") || url.hasPrefix("../") || url.hasPrefix("file://")
        guard local, let path = Submodule.localPath(of: Submodule.resolve(url, against: base)), path.hasPrefix("/") else { return [] }
        return [path, (path as NSString).appendingPathComponent(".git")].compactMap(realPath)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: - Which ref an entry names

    /// Whether `written` (an entry's `ref`) names `update.ref` in `update`'s repository, as git
    /// would read it there: `main`, `heads/main`, `refs/heads/main`; `HEAD`, its HEAD branch.
    private func names(_ written: String, _ update: RefUpdate) -> Bool {
        if written == update.ref { return true }
        if written.hasPrefix("refs/") { return false }
        if let known = fullNames[update.gitDirectory]?[written] { return known == update.ref }
        let full = repository(at: update.gitDirectory)?.fullReferenceName(written)
        fullNames[update.gitDirectory, default: [:]][written] = .some(full)
        return full == update.ref
    }

    private func repository(at directory: String) -> Repository? {
        if directory == own.gitDirectory { return own.repository }
        if let known = opened[directory] { return known }
        var repository: Repository?
        // A registered folder that is gone was removed without `gitci uninstall`: nothing of it
        // can be built any more, and it is no error of this push.
        if FileManager.default.fileExists(atPath: directory) {
            do {
                repository = try Repository.open(directory)
            } catch {
                log("gitci: worker: triggers: cannot read the installed repository \(directory): \(error.message)")
            }
        }
        opened[directory] = repository
        return repository
    }
}
