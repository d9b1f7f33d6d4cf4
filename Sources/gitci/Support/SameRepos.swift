import ArgumentParser
import GitKit
import Pipeline
import Runner
import Store

extension ResultsAccess {
    /// What `gitci rerun REV [JOB] --same-repos` replays: the `.gitci.yml` blob REV's newest
    /// results ran and the commits their `repos:` entries were pinned to, instead of the file
    /// and refs as they are now. Usage error, saying why, when REV recorded neither.
    func sameReposRequest(for commit: ObjectID, job: String?) throws -> BuildRequest {
        let results: CommitResults
        do {
            results = try index.results(of: commit)
        } catch {
            Output.error("gitci: cannot read the results of \(commit.short): \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        guard !results.jobs.isEmpty else {
            Output.error("gitci: \(commit.short) has no recorded job results, so nothing to replay with --same-repos")
            throw ExitCode(ExitStatus.usage)
        }
        let named = job.flatMap { name in results.jobs.first { $0.job == name } }
        if let job, named == nil {
            Output.error("gitci: \(commit.short) has no recorded result of job '\(job)' to replay with --same-repos")
            throw ExitCode(ExitStatus.usage)
        }
        guard let config = (named ?? results.pipeline ?? results.jobs.last)?.config.flatMap(ObjectID.init(hex:)),
              repository.hasObject(config) else {
            Output.error("gitci: the results of \(commit.short) record no \(PipelineSource.fileName) blob this repository has; "
                + "rerun without --same-repos")
            throw ExitCode(ExitStatus.usage)
        }
        // The named job's commits first: it is what the rerun is about.
        var pinned: [String: String] = named?.repos ?? [:]
        for record in results.jobs where record.job != job {
            for (name, sha) in record.repos ?? [:] {
                if let other = pinned[name], other != sha, named?.repos?[name] == nil {
                    Output.error("gitci: jobs of \(commit.short) recorded different commits for repos entry '\(name)' "
                        + "(\(other.prefix(10)), \(sha.prefix(10))); rerun one job with --same-repos")
                    throw ExitCode(ExitStatus.usage)
                }
                if pinned[name] == nil { pinned[name] = sha }
            }
        }
        guard !pinned.isEmpty else {
            Output.error("gitci: no job of \(commit.short) recorded the commits of repos: entries; rerun without --same-repos")
            throw ExitCode(ExitStatus.usage)
        }
        return BuildRequest(pinnedRepos: pinned, configBlob: config.hex)
    }
}
