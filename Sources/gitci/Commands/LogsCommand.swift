import ArgumentParser
import Foundation
import Runner
import Store

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        _superCommandName: Gitci.commandName,
        abstract: "Print a job's log from this machine's state folder.",
        discussion: "Exit status: 0 when the log was printed, 2 when the commit, the job or its log is not here."
    )

    @Argument(help: "The commit (any revision git understands).")
    var revision: String

    @Argument(help: "The job's name, as `gitci status` shows it.")
    var job: String

    @Option(help: "Only the output of step N (from 1).")
    var step: Int?

    @Flag(help: "While the job is still running, print what it writes until it ends.")
    var follow = false

    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        if let step, step < 1 { throw ValidationError("--step must be at least 1") }
        if step != nil && follow { throw ValidationError("--step and --follow cannot be used together") }
    }

    func run() async throws {
        let access = try ResultsAccess(path: repository.path)
        let commit = try access.resolve(revision)
        let state = StateFolder(gitCommonDirectory: access.repository.commonDirectory)
        let recorded = (try? access.index.results(of: commit))?.jobs.first { $0.job == job }?.log
        let build = (try? access.queueIfInstalled?.activeBuilds(of: commit.hex))??.first
        let running = build?.runID.flatMap { state.log(ofJob: job, run: $0) }
        guard let path = running ?? recorded.map(state.logPath(recorded:)) else {
            Output.error("gitci: no log of job '\(job)' at \(commit.short) on this machine (`gitci status \(commit.short)` lists its jobs)")
            throw ExitCode(ExitStatus.usage)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            Output.error("gitci: cannot read the log \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(ExitStatus.usage)
        }
        defer { try? handle.close() }
        if let step {
            let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            guard let lines = JobLogSections.step(step, in: text[...]) else {
                Output.error("gitci: the log of job '\(job)' has no step \(step) (\(path))")
                throw ExitCode(ExitStatus.usage)
            }
            Output.write(lines.joined(separator: "\n") + "\n", to: .standardOutput)
            return
        }
        Output.write(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self), to: .standardOutput)
        guard follow, running != nil, let build else { return }
        while !Task.isCancelled, stillRunning(build, access: access) {
            try? await Task.sleep(for: .milliseconds(200))
            Output.write(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self), to: .standardOutput)
        }
        Output.write(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self), to: .standardOutput)
    }

    /// Whether the job is still queued or running in `build`.
    private func stillRunning(_ build: Build, access: ResultsAccess) -> Bool {
        guard let statuses = try? access.queueIfInstalled?.jobStatuses(of: build.id),
              let status = statuses.first(where: { $0.job == job })?.status else { return false }
        return JobStatus(rawValue: status)?.isFinished == false
    }
}
