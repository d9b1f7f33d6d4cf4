import ArgumentParser
import Foundation
import Pipeline
import Store

struct RerunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        _superCommandName: Gitci.commandName,
        abstract: "Queue a new build of a commit (or of one job and what it needs) for the worker."
    )

    @Argument(help: "The commit to build again.")
    var revision: String

    @Argument(help: "Only this job (with what it needs).")
    var job: String?

    @Flag(name: .customLong("same-repos"), help: "Replay the recorded .gitci.yml and repos: commits instead of resolving refs again.")
    var sameRepos = false

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let commit = try access.resolve(revision)
        let request = sameRepos ? try access.sameReposRequest(for: commit, job: job) : BuildRequest()
        if let job, !sameRepos { try access.checkJob(job, at: commit) }
        let queue = try access.openQueue()
        // Built for what the last build was for: its branch, or its tag.
        let latest = (try? queue.latestBuild(of: commit.hex)) ?? nil
        try access.enqueue(in: queue, describing: "\(commit.short)\(job.map { " (\($0))" } ?? "")") {
            // A rerun is asked for to run again: nothing is reused (BuildRequest.noCache).
            var request = request
            request.noCache = true
            return try $0.enqueue(commit: commit.hex, branch: latest?.branch, ref: latest?.ref, jobs: job.map { [$0] } ?? [], reason: "gitci rerun",
                           request: request)
        }
    }
}

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        _superCommandName: Gitci.commandName,
        abstract: "Queue a build of a branch's tip now, as a push would."
    )

    @Argument(help: "The branch.")
    var branch: String

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        guard let commit = access.repository.branchTip(branch) else {
            Output.error("gitci: no branch '\(branch)' in \(access.repository.gitDirectory)")
            throw ExitCode(ExitStatus.usage)
        }
        try access.enqueue(in: access.openQueue(), describing: "\(branch) at \(commit.short)") { transaction in
            try transaction.activatePlan(branch, commit: commit.hex)
            return try transaction.enqueue(commit: commit.hex, branch: branch, ref: BuildTarget.branchPrefix + branch, reason: "gitci trigger")
        }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        _superCommandName: Gitci.commandName,
        abstract: "Cancel the queued and running builds of a commit."
    )

    @Argument(help: "The commit.")
    var revision: String

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let commit = try access.resolve(revision)
        do {
            let (queued, running) = try access.openQueue().cancel(commit: commit.hex)
            if queued + running == 0 {
                print("gitci: nothing queued or running for \(commit.short)")
            } else {
                print("gitci: cancelled \(queued) queued build(s) of \(commit.short); asked the worker to stop \(running) running")
            }
            // A running build whose worker was killed is ended (cancelled, its steps not run
            // again) by the next worker: one is started when none runs.
            if running > 0 { access.startWorker() }
        } catch {
            Output.error("gitci: cannot cancel: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }
}
