import Foundation
public import Pipeline
import Store
import Synchronization

/// Runs one planned job: prepares its workspace, runs its steps in order (StepCommand), each in
/// its own process group, and writes everything to the job's log.
///
/// A failing step is a result, never a thrown error. Cancelling the calling task stops the
/// running step's whole process group.
public struct JobExecutor: Sendable {
    public typealias StepObserver = @Sendable (_ index: Int, _ name: String) -> Void
    public typealias ProcessObserver = @Sendable (_ processGroup: Int32) -> Void

    public init() {}

    public func run(_ job: PlannedJob, context: JobContext, onStep: StepObserver = { _, _ in },
                    onProcess: ProcessObserver = { _ in }) async -> JobResult {
        let started = Date()
        var result = JobResult(name: job.name, stage: job.stage, status: .running, started: started,
                               logPath: context.logPath, allowFailure: job.allowFailure, node: context.node,
                               matrix: job.matrix)
        var openedLog: LogFile?
        // Set once the workspace is there: keeps the job's artifacts when it ends.
        var keepArtifacts: ((inout JobResult) -> Void)?
        // Set once the workspace is there: reads the job's `junit:` reports when it ends.
        var readTests: ((inout JobResult) -> Void)?
        func finish(_ status: JobStatus, reason: String? = nil) -> JobResult {
            result.status = status
            result.reason = reason ?? result.reason
            // Output lost (a full disk) fails the job, whatever its steps did.
            if let lost = openedLog?.failure, status != .cancelled {
                result.status = .failed
                result.reason = lost + (reason.map { " (\($0))" } ?? "")
            }
            if result.status == .passed || result.status == .failed { keepArtifacts?(&result) }
            readTests?(&result)
            result.durationMs = Int(Date().timeIntervalSince(started) * 1000)
            return result
        }

        let log: LogFile
        do {
            log = try LogFile(path: context.logPath)
        } catch {
            result.logPath = nil
            return finish(.failed, reason: "cannot write the log \(context.logPath): \((error as NSError).localizedDescription)")
        }
        openedLog = log
        log.write("gitci: job \(job.name) on \(context.node), \(Self.timestamp(started))\n")
        for note in context.notes { log.write("gitci: \(note)\n") }
        if Task.isCancelled { return finish(.cancelled, reason: "cancelled before it started") }

        do {
            // Only a retried build finds its workspace there: looking is cheaper than failing.
            var status = stat()
            if lstat(context.workspace, &status) == 0 { try? FileManager.default.removeItem(atPath: context.workspace) }
            try context.source.prepare(context.workspace, branch: context.branch, submodules: job.config.submodules)
            try context.repos.checkOut(into: context.workspace, submodules: job.config.submodules)
            result.repos = context.repos.commits
        } catch {
            log.write("gitci: \(error)\n")
            return finish(.failed, reason: error.description)
        }
        defer {
            if !context.keepWorkspace { try? FileManager.default.removeItem(atPath: context.workspace) }
        }
        if !job.config.junit.isEmpty {
            readTests = { result in Self.readTests(of: job, workspace: context.workspace, log: log, into: &result) }
        }
        if let store = context.artifactStore {
            do {
                try ArtifactCollector.place(context.inputArtifacts, into: context.workspace, from: store)
            } catch {
                log.write("gitci: \(error)\n")
                return finish(.failed, reason: error.description)
            }
            if !context.inputArtifacts.isEmpty {
                log.write("gitci: placed \(context.inputArtifacts.count) artifact(s) of the jobs it depends on\n")
            }
            if !job.config.artifacts.isEmpty {
                keepArtifacts = { result in Self.keepArtifacts(of: job, context: context, store: store, log: log, into: &result) }
            }
        }

        var environment = Self.environment(for: job, context: context)
        var handoff: StepHandoff
        do {
            handoff = try StepHandoff(workspace: context.workspace)
        } catch {
            log.write("gitci: cannot make $GITCI_ENV and $GITCI_PATH: \((error as NSError).localizedDescription)\n")
            return finish(.failed, reason: "cannot make $GITCI_ENV and $GITCI_PATH in the workspace")
        }
        environment["GITCI_ENV"] = handoff.environmentPath
        environment["GITCI_PATH"] = handoff.pathPath
        let deadline = started.addingTimeInterval(TimeInterval(job.timeout.value))
        // `python:` and `from: tox`: the venv and tox, made or reused before the first step.
        let python: PythonEnvironment
        switch await PythonEnvironment.prepare(job, context: context, environment: environment, log: log, deadline: deadline) {
        case .success(let prepared): python = prepared
        case .failure(let failure):
            return Task.isCancelled ? finish(.cancelled, reason: "cancelled") : finish(.failed, reason: failure.description)
        }
        defer { python.release() }
        python.apply(to: &environment)
        // Background processes a step leaves stay for the later steps, and end with the job.
        let processes: any JobProcesses = context.sandbox.map { SandboxedJob(sandbox: python.sandbox($0), workspace: context.workspace) }
            ?? DirectProcesses()
        defer { processes.end() }

        /// The first step that failed (and was not allowed to): later steps run only when
        /// their `if:` asks for it, and the job fails with this reason.
        var failure: (reason: String, exitCode: Int32?)?
        for (index, step) in job.steps.enumerated() {
            if Task.isCancelled { return finish(.cancelled, reason: "cancelled") }
            // No step runs into a log that cannot be written: its output would be lost.
            if log.failure != nil { return finish(.failed) }
            guard step.condition.admits(afterFailure: failure != nil) else {
                log.write("\n==> step \(index + 1)/\(job.steps.count): \(step.name) skipped (if: \(step.condition.rawValue))\n")
                continue
            }
            onStep(index, step.name)
            let stepStart = Date()
            log.write("\n==> step \(index + 1)/\(job.steps.count): \(step.name)\n")
            if step.name != step.run { log.write(step.run.split(separator: "\n", omittingEmptySubsequences: false).map { "$ \($0)" }.joined(separator: "\n") + "\n") }
            let arguments = StepCommand.arguments(step.run, shell: step.shell ?? job.config.shell, environment: environment)
            let group: any StepProcess
            do {
                group = try await processes.start(arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                                  directory: context.workspace, outputDescriptor: log.descriptor)
            } catch {
                log.write("gitci: \(error)\n")
                return finish(.failed, reason: error.description)
            }
            onProcess(group.processGroup)

            let jobRemaining = deadline.timeIntervalSinceNow
            let stepLimit = step.timeout.map { TimeInterval($0.value) } ?? .infinity
            let limit = max(0, min(jobRemaining, stepLimit))
            let stepTimedOut = stepLimit <= jobRemaining
            let timedOut = Mutex(false)
            let timer = DispatchWorkItem {
                timedOut.withLock { $0 = true }
                group.terminate(grace: context.terminationGrace)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: timer)
            let termination = await withTaskCancellationHandler {
                await group.waitForExit()
            } onCancel: {
                group.terminate(grace: context.terminationGrace)
            }
            timer.cancel()

            let elapsed = Date().timeIntervalSince(stepStart)
            result.exitCode = failure?.exitCode ?? termination.exitCode
            handoff.apply(to: &environment) { log.write("gitci: warning: \($0)\n") }
            if timedOut.withLock({ $0 }) {
                let what = stepTimedOut ? "step '\(step.name)' timed out after \(Seconds(Int(stepLimit)))"
                                        : "job timed out after \(job.timeout)"
                log.write("\ngitci: \(what); its processes were stopped\n")
                if failure == nil { result.failedStep = FailedStep(index: index + 1, name: step.name) }
                return finish(.failed, reason: failure?.reason ?? what)
            }
            if Task.isCancelled {
                log.write("\ngitci: cancelled; the step's processes were stopped\n")
                return finish(.cancelled, reason: "cancelled during step '\(step.name)'")
            }
            if termination != .exited(0) {
                let how: String
                switch termination {
                case .exited(let code): how = "exit status \(code)"
                case .signaled(let signal): how = "killed by signal \(signal)"
                }
                if step.allowFailure {
                    log.write("\ngitci: step '\(step.name)' failed (\(how)) after \(Self.format(elapsed)); allowed to fail, the job goes on\n")
                    continue
                }
                log.write("\ngitci: step '\(step.name)' failed (\(how)) after \(Self.format(elapsed))\n")
                if failure == nil {
                    failure = ("step '\(step.name)' failed (\(how))", termination.exitCode)
                    result.failedStep = FailedStep(index: index + 1, name: step.name)
                }
                continue
            }
            log.write("==> ok in \(Self.format(elapsed))\n")
        }
        if let failure {
            result.exitCode = failure.exitCode
            return finish(.failed, reason: failure.reason)
        }
        log.write("\ngitci: job passed in \(Self.format(Date().timeIntervalSince(started)))\n")
        return finish(.passed)
    }

    /// Stores the job's `artifacts:` when `artifacts_when:` asks for them after how it ended.
    static func keepArtifacts(of job: PlannedJob, context: JobContext, store: ArtifactStore, log: LogFile,
                              into result: inout JobResult) {
        guard job.config.artifactsWhen.keeps(passed: result.status == .passed) else { return }
        let outcome = ArtifactCollector.collect(job.config, workspace: context.workspace, store: store)
        log.write("\n")
        for message in outcome.messages { log.write("gitci: \(message)\n") }
        result.artifacts = outcome.artifacts
        if let failure = outcome.failure, result.status == .passed {
            result.status = .failed
            result.reason = failure
        }
    }

    /// Reads the job's `junit:` reports, whatever its status: a report that cannot be read is a
    /// warning, and failed cases leave the status to the steps.
    static func readTests(of job: PlannedJob, workspace: String, log: LogFile, into result: inout JobResult) {
        let outcome = JUnitCollector.collect(job.config.junit, workspace: workspace)
        log.write("\n")
        for message in outcome.messages { log.write("gitci: \(message)\n") }
        result.testCases = outcome.cases
        result.tests = NoteRecord.TestCounts(counting: outcome.cases)
        result.warnings += outcome.warnings
    }

    /// Values reach steps only as environment variables, never spliced into shell text.
    ///
    /// `env:` values may name the variables set before them (`$PATH`), gitci expanding them.
    static func environment(for job: PlannedJob, context: JobContext) -> [String: String] {
        var variables = context.baseEnvironment
        if let sandbox = context.sandbox { variables.merge(sandbox.replacedVariables) { $1 } }
        for variable in job.environment {
            variables[variable.name] = EnvironmentExpansion.expand(variable.value) { variables[$0] }
        }
        for value in job.matrix {
            variables[value.name] = value.value
            variables[PlannedJob.matrixVariableName(value.name)] = value.value
        }
        variables.merge(context.repos.environment) { $1 }
        variables["CI"] = "true"
        variables["GITCI"] = "true"
        variables["GITCI_COMMIT"] = context.commit?.hex ?? ""
        variables["GITCI_BRANCH"] = context.branch ?? ""
        variables["GITCI_TAG"] = context.tag ?? ""
        variables["GITCI_JOB"] = job.name
        variables["GITCI_STAGE"] = job.stage
        variables["GITCI_PIPELINE"] = context.pipelineID
        variables["GITCI_WORKSPACE"] = context.workspace
        variables["GITCI_NODE"] = context.node
        return variables
    }

    /// `0.42s`, `12.5s`, `3m7s`-style durations for the log, without String(format:): a
    /// build writes one per step.
    static func format(_ seconds: TimeInterval) -> String {
        seconds < 10 ? decimal(seconds, places: 2) + "s" : seconds < 120 ? decimal(seconds, places: 1) + "s"
            : "\(Int(seconds) / 60)m\(Int(seconds) % 60)s"
    }

    static func decimal(_ value: Double, places: Int) -> String {
        let scale = places == 2 ? 100 : 10
        let scaled = Int((max(0, value) * Double(scale)).rounded())
        return "\(scaled / scale)." + Timestamp.digits(scaled % scale, places)
    }

    static func timestamp(_ date: Date) -> String {
        Timestamp.format(date, fractionalSeconds: false)
    }
}
