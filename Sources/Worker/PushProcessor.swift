import Foundation
import GitKit
import Pipeline
import Runner
import Store

/// Turns queued ref updates into plan branches and builds: the decisions of the server-side
/// flow (PushDecider), applied to the queue.
struct PushProcessor {
    let repository: Repository
    let queue: BuildQueue
    let log: (String) -> Void

    /// Processes up to `batch` pending events, then claims up to `claimLimit` queued builds
    /// (the ones just queued among them), all in one transaction: the changes a push makes land
    /// together with the mark that it was processed, and the way from a push to its build's
    /// first step takes one write of the queue, not four.
    /// `processed`: the updates (for TriggerScan); `more`: whether more may be pending (a full
    /// batch was taken).
    func processPending(thenClaimUpTo claimLimit: Int, runID: () -> String) throws -> (claimed: [Build], processed: [PushEvent], more: Bool) {
        // Decided before the queue's write lock is taken: reading pipeline files (git, YAML) is
        // the slow part, and the post-receive hook queueing a push waits for that lock. Only
        // this worker processes events, so none is processed in between.
        let decider = PushDecider(repository: repository, log: log)
        let pending = try queue.pendingEvents(limit: Self.batch).map { record in
            let decision = decider.decide(record.event)
            return (record.id, record.event, decision, decider.refTarget(of: decision))
        }
        return try queue.update { transaction in
            for (id, event, decision, refTarget) in pending {
                try apply(overtaken(decision, of: event, refTarget: refTarget, in: transaction) ?? decision, to: transaction)
                try transaction.markDone(event: id)
            }
            return (try transaction.claim(upTo: claimLimit, runID: runID), pending.map(\.1), pending.count == Self.batch)
        }
    }

    static let batch = 500

    /// A recorded update that reached the queue late: after an update of its ref that started
    /// from its commit had been processed (a slow post-receive hook overtaken by the next
    /// push's; a spooled record). Built, it would come after the newer commit and stand
    /// as its branch's last. Updates that come in order are left to supersede one another as
    /// they are applied: a `ci.skip` push then replaces no build. A ref that points at the
    /// update's commit again (a force-push back) builds as any update.
    private func overtaken(_ decision: PushDecider.Decision, of event: PushEvent, refTarget: String?,
                           in transaction: QueueTransaction) throws -> PushDecider.Decision? {
        guard case .build(let commit, let branch, let ref, _, _, let skip) = decision, refTarget != commit,
              try transaction.hasProcessedUpdate(of: ref, from: event.new) else { return nil }
        return skip ? .ignore(nil) : .overtaken(commit: commit, branch: branch, ref: ref, by: refTarget)
    }

    func apply(_ decision: PushDecider.Decision, to transaction: QueueTransaction) throws {
        switch decision {
        case .ignore(let message):
            if let message { log(message) }
        case .retire(let branch):
            try transaction.retirePlan(branch)
            log("gitci: worker: branch '\(branch)' deleted; its plan branch is retired")
        case .build(let commit, let branch, let ref, let variables, let interruptible, let skip):
            if let branch {
                try transaction.activatePlan(branch, commit: commit)
                // A push that builds nothing replaces no build: the branch keeps the one it had.
                if !skip { try transaction.supersede(branch: branch, by: commit, interruptRunning: true) }
            }
            guard !skip else { return }
            try transaction.enqueue(commit: commit, branch: branch, ref: ref, variables: variables, interruptible: interruptible)
        case .overtaken(let commit, let branch, let ref, let newer):
            // The plan branch is made when this was its first push (its deletion may be what
            // overtook it), but its last commit stays the newer one's.
            if let branch { try transaction.notePlan(branch, commit: commit) }
            // As the newer update would have settled it, had the two come in order.
            let reason = newer.map { "superseded by \($0.prefix(10))" } ?? (branch == nil ? "tag deleted" : "branch deleted")
            try transaction.enqueueSettled(commit: commit, branch: branch, ref: ref,
                                           state: newer == nil ? .cancelled : .superseded, reason: reason)
            let now = newer.map { "moved to \($0.prefix(10))" } ?? "deleted"
            log("gitci: worker: \(ref) was \(now) before its push of \(commit.prefix(10)) was processed; that commit is not built")
        }
    }
}

/// What a ref update asks for, decided with the pipeline file read at the pushed commit:
/// nothing, retiring a plan branch, or a build. Needs the repository only, not the queue.
struct PushDecider {
    let repository: Repository
    let log: (String) -> Void

    enum Decision {
        case ignore(String?)
        case retire(branch: String)
        case build(commit: String, branch: String?, ref: String, variables: [String: String],
                   interruptible: Bool, skip: Bool)
        /// A build whose update reached the queue after a later update of its ref had been
        /// processed (PushProcessor's `overtaken`), with the ref's commit now (nil: deleted).
        case overtaken(commit: String, branch: String?, ref: String, by: String?)
    }

    /// The commit the ref of a build decision points at now (nil: deleted, or not a build), to
    /// compare with the commit to build. Peeled: an annotated tag's update names the tag
    /// object, its ref peels to the commit, as the decision's commit is.
    func refTarget(of decision: Decision) -> String? {
        guard case .build(_, _, let ref, _, _, _) = decision else { return nil }
        return repository.referenceTarget(ref)?.hex
    }

    func decide(_ event: PushEvent) -> Decision {
        let ref = event.ref
        let target = BuildTarget(ref: ref)
        let branch = target.branch
        let tag = target.tag
        guard branch != nil || tag != nil else { return .ignore(nil) }
        if event.isDeletion {
            return branch.map { .retire(branch: $0) } ?? .ignore(nil)
        }
        guard let commit = try? repository.resolveCommit(event.new) else {
            return .ignore("gitci: worker: \(ref) points at \(event.new.prefix(10)), which is not a commit here; ignored")
        }
        let file: (bytes: [UInt8], blob: ObjectID)
        do {
            file = try PipelineSource.read(at: commit, in: repository)
        } catch {
            if case .missing = error { return .ignore(nil) }
            return .ignore("gitci: worker: \(ref): \(error)")
        }
        let variables = Self.variables(from: event.options, log: log)
        let skip = event.options.contains("ci.skip")
        guard let config = try? PipelineSource.config(file.bytes, blob: file.blob) else {
            // A broken pipeline file is still built, so that its errors are recorded as the
            // commit's result; tags only build when the file says so, which it cannot.
            guard let branch else { return .ignore(nil) }
            return .build(commit: commit.hex, branch: branch, ref: ref, variables: variables, interruptible: false, skip: skip)
        }
        if let branch {
            guard config.branches.admits(branch) else { return .ignore(nil) }
            return .build(commit: commit.hex, branch: branch, ref: ref, variables: variables,
                          interruptible: config.interruptible, skip: skip)
        }
        guard let tag, config.tags.contains(where: { Glob.matches($0, tag) }) else { return .ignore(nil) }
        return .build(commit: commit.hex, branch: nil, ref: ref, variables: variables, interruptible: false, skip: skip)
    }

    /// `ci.variable=K=V` push options as environment; names must be plain variable names and
    /// may not replace gitci's own.
    static func variables(from options: [String], log: (String) -> Void) -> [String: String] {
        var variables: [String: String] = [:]
        for option in options where option.hasPrefix("ci.variable=") {
            let assignment = option.dropFirst("ci.variable=".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            let name = String(assignment[..<equals])
            let valid = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
                && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            guard valid, !name.hasPrefix("GITCI"), name != "CI" else {
                log("gitci: worker: ignoring push variable '\(name.prefix(60))' (not a plain variable name, or one gitci sets)")
                continue
            }
            variables[name] = String(assignment[assignment.index(after: equals)...])
        }
        return variables
    }
}
