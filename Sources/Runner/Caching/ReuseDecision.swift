import Foundation
public import GitKit
public import Pipeline
public import Store
import HookIntake

/// What a run does with each job before running anything: run it, reuse the result of an
/// earlier passed run with the same cache key (CacheKey), or skip it because nothing its
/// `changes:` watch changed since the base (ChangesBase).
///
/// Decided once per run, before the first job starts, from the object database and the index
/// (one query for every key): a reused or skipped job costs no workspace, no process and no
/// log. Whatever cannot be decided (an unreadable tree, no index) runs the job: the cache only
/// ever saves work, it never stands in for a result it cannot vouch for.
///
/// A run of a working tree keys its jobs by HEAD's tree. A job whose `inputs` select a file
/// with uncommitted changes (staged, not staged or untracked) is neither reused nor given a
/// key; for `changes:`, those files count as changed.
public struct ReuseDecision: Sendable {
    public enum Verdict: Sendable {
        /// Run it; `cacheKey` goes into its record, `notes` into its log.
        case run(cacheKey: String?, notes: [String])
        case reuse(ReusableRun)
        /// `changes:` found nothing it watches changed since `base`; it hands on what its run
        /// there kept.
        case unchanged(base: ObjectID, how: String, artifacts: [NoteRecord.Artifact])
    }

    public private(set) var verdicts: [String: Verdict] = [:]

    public init() {}

    public func verdict(for job: PlannedJob) -> Verdict {
        verdicts[job.name] ?? .run(cacheKey: nil, notes: [])
    }

    /// The result a reused or skipped job ends with, without running; nil when it runs.
    public func settledResult(for job: PlannedJob) -> JobResult? {
        switch verdict(for: job) {
        case .run:
            return nil
        case .reuse(let run):
            var result = JobResult(name: job.name, stage: job.stage, status: .reused,
                                   reason: "reused from \(run.commit.prefix(10)) (cache key \(run.cacheKey.prefix(10)))",
                                   allowFailure: job.allowFailure, matrix: job.matrix)
            result.reusedFrom = run.commit
            result.cacheKey = run.cacheKey
            result.artifacts = run.artifacts
            return result
        case .unchanged(let base, _, let artifacts):
            var result = JobResult(name: job.name, stage: job.stage, status: .skipped, reason: "no changes since \(base.short)",
                                   allowFailure: job.allowFailure, matrix: job.matrix)
            result.unchangedSince = base.hex
            // Recorded with the skip, so that the next skip on top of this commit finds them too.
            result.artifacts = artifacts
            return result
        }
    }

    public func cacheKey(for job: PlannedJob) -> String? {
        if case .run(let key, _) = verdict(for: job) { return key }
        return nil
    }

    public func notes(for job: PlannedJob) -> [String] {
        if case .run(_, let notes) = verdict(for: job) { return notes }
        return []
    }

    /// Decides for every job of `plan` that `target` runs. `workingTree`: the run is of the
    /// working tree, `commit` its HEAD.
    public static func decide(plan: Plan, repository: Repository, commit: ObjectID?, workingTree: Bool,
                              target: BuildTarget, noCache: Bool, repoCommits: [String: [String: ObjectID]],
                              variables: [String: String]) -> ReuseDecision {
        var decision = ReuseDecision()
        guard let commit else { return decision }
        let jobs = plan.jobs.filter { $0.runs(for: target) }
        guard !jobs.isEmpty else { return decision }
        let index = openIndex(repository)
        var uncommitted: [String] = []
        var notesForAll: [String] = []
        if workingTree {
            do {
                uncommitted = try repository.uncommittedPaths()
            } catch {
                // Unknown changes: nothing may be reused, everything counts as changed.
                notesForAll.append("cannot read the working tree's changes (\(error.message)); not reused")
            }
        }
        let workingTreeUnknown = !notesForAll.isEmpty

        var digests: [InputPatterns: Result<ObjectID, GitError>] = [:]
        var bases: [String: ChangesBase.Outcome] = [:]
        var changed: [ObjectID: Result<[String], GitError>] = [:]
        var keys: [String: String] = [:]
        var notes: [String: [String]] = [:]
        for job in jobs {
            var jobNotes = notesForAll
            if !noCache, let watched = job.config.changes {
                let patterns = InputPatterns(watched)
                let override = job.config.changesBase
                let outcome = bases[override ?? ""] ?? ChangesBase(repository: repository, commit: commit, target: target, index: index)
                    .find(override: override)
                bases[override ?? ""] = outcome
                switch outcome {
                case .none(let why):
                    jobNotes.append("changes: \(why); running the job")
                case .found(let base, let how):
                    let paths = changed[base] ?? Result { () throws(GitError) in try repository.changedPaths(from: base, to: commit) }
                    changed[base] = paths
                    switch paths {
                    case .success(let paths):
                        if !workingTreeUnknown, !(paths + uncommitted).contains(where: patterns.selects(file:)) {
                            switch handedOnArtifacts(of: job, at: base, index: index, repository: repository) {
                            case .success(let artifacts):
                                decision.verdicts[job.name] = .unchanged(base: base, how: how, artifacts: artifacts)
                                continue
                            case .failure(let unavailable):
                                jobNotes.append("changes: nothing it watches changed since \(base.short), but \(unavailable.why); running the job")
                            }
                        } else {
                            jobNotes.append("changes: files it watches changed since \(base.short) (\(how))")
                        }
                    case .failure(let error):
                        jobNotes.append("changes: cannot compare with \(base.short) (\(error.message)); running the job")
                    }
                }
            }
            let patterns = InputPatterns(job.config.inputs)
            if !job.config.isCacheable {
                jobNotes.append(job.config.cache == false ? "cache: false: always runs" : "uses secrets: always runs (cache: true to allow reuse)")
            } else if workingTree, let path = uncommitted.first(where: patterns.selects(file:)) {
                jobNotes.append("no cache key: its inputs have uncommitted changes (\(path))")
            } else if !workingTreeUnknown {
                let digest = digests[patterns] ?? Result { () throws(GitError) in
                    try CacheKey.inputsDigest(of: commit, patterns: patterns, in: repository)
                }
                digests[patterns] = digest
                switch digest {
                case .success(let digest):
                    if let key = CacheKey.compute(job: job, inputsDigest: digest, repoCommits: repoCommits[job.name] ?? [:], variables: variables) {
                        keys[job.name] = key
                    } else {
                        jobNotes.append("no cache key: its repos entries are not pinned to commits")
                    }
                case .failure(let error):
                    jobNotes.append("no cache key: cannot read its inputs (\(error.message))")
                }
            }
            notes[job.name] = jobNotes
        }

        var reusable: [String: ReusableRun] = [:]
        if !noCache, let index, !keys.isEmpty {
            do {
                reusable = try index.reusableRuns(forKeys: Set(keys.values))
            } catch {
                for job in jobs { notes[job.name, default: []].append("cache lookup failed (\(error)); running the job") }
            }
        }
        let artifacts = StateFolder(gitCommonDirectory: repository.commonDirectory).artifacts
        for job in jobs where decision.verdicts[job.name] == nil {
            let key = keys[job.name]
            var jobNotes = notes[job.name] ?? []
            if let key, let run = reusable[key] {
                // Its dependents get its artifacts from this machine's store: a run made elsewhere
                // (or whose artifacts were collected since) cannot stand for it here.
                if let missing = run.artifacts.first(where: { !artifacts.contains($0.sha256) }) {
                    jobNotes.append("cache key \(key.prefix(10)): the passed run's artifact \(missing.name) is not in this machine's store; running the job")
                    decision.verdicts[job.name] = .run(cacheKey: key, notes: jobNotes)
                    continue
                }
                decision.verdicts[job.name] = .reuse(run)
                continue
            }
            if let key {
                jobNotes.append(noCache ? "cache key \(key.prefix(10)); --no-cache: running the job"
                                        : "cache key \(key.prefix(10)): no passed run with it yet")
            }
            decision.verdicts[job.name] = .run(cacheKey: key, notes: jobNotes)
        }
        return decision
    }

    struct ArtifactsUnavailable: Error {
        let why: String
    }

    /// What a job skipped for want of changes hands on to its dependents: the artifacts its run at
    /// `base` kept, when this machine still has them. A job that keeps none hands on nothing.
    static func handedOnArtifacts(of job: PlannedJob, at base: ObjectID, index: ResultIndex?,
                                  repository: Repository) -> Result<[NoteRecord.Artifact], ArtifactsUnavailable> {
        guard !job.config.artifacts.isEmpty else { return .success([]) }
        guard let index, let results = try? index.results(of: base),
              let record = results.jobs.first(where: { $0.job == job.name }),
              ["passed", "reused", "skipped"].contains(record.status) else {
            return .failure(ArtifactsUnavailable(why: "no result of it there holds its artifacts"))
        }
        let artifacts = record.artifacts ?? []
        let store = StateFolder(gitCommonDirectory: repository.commonDirectory).artifacts
        if let missing = artifacts.first(where: { !store.contains($0.sha256) }) {
            return .failure(ArtifactsUnavailable(why: "its artifact \(missing.name) from there is not in this machine's store"))
        }
        return .success(artifacts)
    }

    /// The repository's index, caught up with its notes; nil when there are no notes and no
    /// index yet (nothing to reuse, and nothing is created for it), or when it cannot be opened.
    private static func openIndex(_ repository: Repository) -> ResultIndex? {
        let stateFolder = StateFolder(gitCommonDirectory: repository.commonDirectory).path
        let file = StateLayout.path(ResultIndex.fileName, in: stateFolder)
        if repository.referenceTarget(ResultIndex.notesRef) == nil, !FileManager.default.fileExists(atPath: file) { return nil }
        return try? ResultIndex.open(stateFolder: stateFolder, repository: repository)
    }
}
