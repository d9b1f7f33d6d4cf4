import ArgumentParser
import Foundation
import GitKit
import Store

struct TestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tests",
        _superCommandName: Gitci.commandName,
        abstract: "Show test results: a commit's cases, one test's history, flaky tests.",
        discussion: """
            Cases come from the jobs' `junit:` reports, kept in refs/notes/gitci-tests. \
            A test is flaky when it both passed and failed on the same tree (reruns and rebases \
            of the same code). Exit status: 0 when the commit has no failed test (or for \
            --history and --flaky), 1 when one failed or the commit has no test results, \
            2 for usage errors and a TEST that names no test or several.
            """
    )

    @Argument(help: "The commit (default HEAD); with --history or --flaky, the branch (default: the current branch; for --flaky, the whole repository).")
    var target: String?

    @Flag(help: "Only the failed tests (failures and errors).")
    var failed = false

    @Option(help: ArgumentHelp("One test's results across the branch's commits: suite::name, suite.name or a unique bare name.", valueName: "TEST"))
    var history: String?

    @Flag(help: "Tests that both passed and failed on the same tree.")
    var flaky = false

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var output: OutputOptions

    /// How far back a branch's history is read.
    static let historyLimit = 100_000

    func validate() throws {
        if flaky && history != nil { throw ValidationError("--flaky and --history cannot be combined") }
        if failed && (flaky || history != nil) { throw ValidationError("--failed goes with a commit's tests, not with --flaky or --history") }
    }

    func run() throws {
        let access = try ResultsAccess(path: repository.path)
        do {
            if flaky { return try showFlaky(access) }
            if let history { return try showHistory(of: history, access) }
            try showCommit(access)
        } catch let error as ExitCode {
            throw error
        } catch {
            Output.error("gitci: cannot read the test results: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    private func showCommit(_ access: ResultsAccess) throws {
        let commit = try access.resolve(target ?? "HEAD")
        let all = try access.index.tests(of: commit)
        let shown = failed ? all.filter(\.isFailure) : all
        if output.json {
            JSONOutput.print(TestsView.CommitDocument(commit: commit.hex, tests: shown))
        } else if all.isEmpty {
            print("\(commit.short): no test results recorded (a job's `junit:` reports; `gitci sync` fetches others' results)")
        } else {
            print(TestsView.render(commit: commit.hex, subject: try? access.repository.commit(commit).summary, tests: shown,
                                   total: all, terminal: Terminal(descriptor: STDOUT_FILENO)), terminator: "")
        }
        throw ExitCode(all.isEmpty || all.contains(where: \.isFailure) ? ExitStatus.failed : ExitStatus.passed)
    }

    private func showHistory(of test: String, _ access: ResultsAccess) throws {
        let names = try access.index.testNames(matching: test)
        guard names.count == 1, let name = names.first else {
            if names.isEmpty {
                Output.error("gitci: no recorded test is named '\(TestsView.printable(test))' (give suite::name, suite.name or a bare name)")
            } else {
                Output.error("gitci: '\(TestsView.printable(test))' names \(names.count) tests; say which:\n"
                    + names.map { "  " + TestsView.printable($0.description) }.joined(separator: "\n"))
            }
            throw ExitCode(ExitStatus.usage)
        }
        let branch = target ?? access.repository.currentBranch ?? "HEAD"
        let commits = try access.repository.firstParentHistory(from: try access.resolve(branch), limit: Self.historyLimit)
        let runs = try access.index.runs(of: name)
        let document = TestsView.HistoryDocument(branch: branch, suite: name.suite, name: name.name, history: commits.flatMap { commit in
            (runs[commit.id.hex] ?? []).map {
                .init(commit: $0.commit, subject: commit.summary, job: $0.job, status: $0.status, durationMs: $0.durationMs, message: $0.message)
            }
        })
        if output.json {
            JSONOutput.print(document)
        } else {
            print(TestsView.render(document, terminal: Terminal(descriptor: STDOUT_FILENO)), terminator: "")
        }
    }

    private func showFlaky(_ access: ResultsAccess) throws {
        var trees: Set<String>?
        if let target {
            trees = Set(try access.repository.firstParentHistory(from: try access.resolve(target), limit: Self.historyLimit).map(\.tree.hex))
        }
        let tests = try access.index.flakyTests(onTrees: trees)
        if output.json {
            JSONOutput.print(TestsView.FlakyDocument(tests))
        } else {
            print(TestsView.render(tests, scope: target.map { "on \($0)" } ?? "in this repository",
                                   terminal: Terminal(descriptor: STDOUT_FILENO)), terminator: "")
        }
    }
}
