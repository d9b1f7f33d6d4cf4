import GitKit
import Pipeline

extension LocalRun {
    /// Every `repos:` entry of the jobs that run, pinned once for the whole build before any of
    /// them starts, so that they all see the same commits even when a ref moves meanwhile.
    func pinRepos() -> [String: JobRepos] {
        let jobs = plan.jobs.filter { !$0.config.repos.isEmpty && $0.runs(for: target) }
        guard !jobs.isEmpty else { return [:] }
        guard let gitDirectory = source.repositoryGitDirectory else {
            var repos = JobRepos()
            repos.problem = "repos: entries need a git repository to be resolved from"
            return Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, repos) })
        }
        return RepoPinning(gitDirectory: gitDirectory, commit: commit, pinned: options.pinnedRepos).pin(jobs)
    }
}
