import ArgumentParser
import Foundation
import Store

struct PlansCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plans",
        abstract: "The repository's plan branches (one per pushed branch) and their last result."
    )

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let queue = try access.openQueue()
        let plans: [PlanBranch]
        let latest: [String: Build]
        do {
            plans = try queue.plans()
            latest = try queue.latestBuilds()
        } catch {
            Output.error("gitci: cannot read the plan branches: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
        let entries = plans.map { plan -> PlansDocument.Entry in
            let commit = latest[plan.branch]?.commit ?? plan.lastCommit
            return .init(branch: plan.branch, state: plan.state.rawValue,
                         last: commit.map { .init(commit: $0, status: access.liveStatus(of: $0, build: latest[plan.branch])) })
        }
        if output.json {
            JSONOutput.print(PlansDocument(plans: entries))
            return
        }
        guard !entries.isEmpty else {
            print("no plan branches yet: `gitci install` the repository and push a branch")
            return
        }
        let terminal = Terminal(descriptor: STDOUT_FILENO)
        let width = min(60, entries.map(\.branch.count).max() ?? 6)
        for entry in entries {
            let branch = entry.branch.padding(toLength: width, withPad: " ", startingAt: 0)
            let state = entry.state.padding(toLength: 8, withPad: " ", startingAt: 0)
            let last = entry.last.map { "\(terminal.paint(String($0.commit.prefix(10)), .yellow)) \(terminal.paint($0.status, StatusColor.of($0.status)))" } ?? "-"
            print("\(branch)  \(terminal.paint(state, entry.state == "active" ? .green : .gray)) \(last)")
        }
    }

    struct PlansDocument: Encodable {
        struct Last: Encodable {
            var commit: String
            var status: String
        }
        struct Entry: Encodable {
            var branch: String
            var state: String
            var last: Last?
        }
        var plans: [Entry]
    }
}

struct RerunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Queue a new build of a commit (or of one job and what it needs) for the worker."
    )

    @Argument(help: "The commit to build again.")
    var revision: String

    @Argument(help: "Only this job (with what it needs).")
    var job: String?

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        let commit = try access.resolve(revision)
        if let job { try access.checkJob(job, at: commit) }
        let queue = try access.openQueue()
        let branch = (try? queue.latestBuild(of: commit.hex))??.branch
        try access.enqueue(in: queue, describing: "\(commit.short)\(job.map { " (\($0))" } ?? "")") {
            try $0.enqueue(commit: commit.hex, branch: branch, ref: nil, jobs: job.map { [$0] } ?? [], reason: "gitci rerun")
        }
    }
}

struct TriggerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
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
            return try transaction.enqueue(commit: commit.hex, branch: branch, ref: "refs/heads/" + branch, reason: "gitci trigger")
        }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
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
        } catch {
            Output.error("gitci: cannot cancel: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
    }
}
