internal import CSpawn
import Foundation
import Synchronization

/// A job whose steps run in a sandbox (`Sandbox`) of its own: bwrap starts gitci-sandbox-init
/// in a new PID namespace when the first step starts, the init starts each step when asked
/// (CSpawn's gitci_sandbox_protocol.h) and reports how it ended, and `end()` ends the init and
/// with it the namespace: nothing a step started survives its job, however it detached.
final class SandboxedJob: JobProcesses {
    let sandbox: Sandbox
    let workspace: String
    private let state = Mutex(State())

    private struct State {
        var bwrap: ProcessGroup?
        /// gitci's ends of the pipes: requests to the init, its reports.
        var requests: Int32 = -1
        var reports: Int32 = -1
        /// Whether the init's first report (READY) was read.
        var ready = false
        var failed: StepStartError?
    }

    init(sandbox: Sandbox, workspace: String) {
        self.sandbox = sandbox
        self.workspace = workspace
    }

    func start(_ arguments: [String], environment: [String], directory: String,
               outputDescriptor: Int32) async throws(StepStartError) -> any StepProcess {
        let environment = sandbox.environment(environment)
        let (bwrap, reports) = try running(environment: environment, outputDescriptor: outputDescriptor)
        var payload: [UInt8] = []
        appendInteger(UInt32(arguments.count), to: &payload)
        appendInteger(UInt32(environment.count), to: &payload)
        for string in [directory] + arguments + environment {
            payload += Array(string.utf8)
            payload.append(0)
        }
        // Sent at once, even to an init that is still starting: the pipe keeps it meanwhile.
        let sent = send(kind: GITCI_SANDBOX_RUN, payload)
        var report = sent ? await Self.nextReport(reports) : nil
        let first = state.withLock { state in
            defer { state.ready = true }
            return !state.ready
        }
        if first {
            guard let ready = report, ready.kind == GITCI_SANDBOX_READY else {
                let failure = StepStartError(description: Self.unavailableReason(bwrap: sandbox.bwrap))
                state.withLock { $0.failed = failure }
                throw failure
            }
            report = await Self.nextReport(reports)
        }
        guard let report, report.kind == GITCI_SANDBOX_STARTED else {
            throw StepStartError(description: "the sandbox ended before the step could start")
        }
        guard report.first > 0 else {
            throw StepStartError(description: "cannot start \(arguments.first ?? ""): \(String(cString: strerror(report.second)))")
        }
        return SandboxedStep(job: self, processGroup: bwrap.pid, reports: reports)
    }

    func end() {
        let (bwrap, requests, reports) = state.withLock { state in
            defer { state.bwrap = nil; state.requests = -1; state.reports = -1 }
            return (state.bwrap, state.requests, state.reports)
        }
        // The init exits at the end of its requests, and the kernel kills whatever is left in
        // its namespace before that exit (and so bwrap's) is complete.
        if requests >= 0 { close(requests) }
        if let bwrap {
            var code: Int32 = 0
            var signaled: Int32 = 0
            _ = gitci_wait_exit_keep_zombie(bwrap.pid, &code, &signaled)
            bwrap.reap()
        }
        if reports >= 0 { close(reports) }
    }

    // MARK: - The sandbox's first process

    /// bwrap and the init, started on the first call (not waited for); the report descriptor.
    private func running(environment: [String], outputDescriptor: Int32) throws(StepStartError) -> (ProcessGroup, Int32) {
        let current = state.withLock { state -> Result<(ProcessGroup, Int32)?, StepStartError> in
            if let failed = state.failed { return .failure(failed) }
            return .success(state.bwrap.map { ($0, state.reports) })
        }
        if let running = try current.get() { return running }
        do throws(StepStartError) {
            return try launch(environment: environment, outputDescriptor: outputDescriptor)
        } catch {
            state.withLock { $0.failed = error }
            throw error
        }
    }

    private func launch(environment: [String], outputDescriptor: Int32) throws(StepStartError) -> (ProcessGroup, Int32) {
        guard access(sandbox.initProgram, X_OK) == 0 else {
            throw StepStartError(description: "cannot find \(sandbox.initProgram), the sandbox's first process: it belongs beside gitci "
                + "(make install puts it there)")
        }
        var requestPipe: [Int32] = [-1, -1]
        var reportPipe: [Int32] = [-1, -1]
        guard gitci_pipe(&requestPipe) == 0 else { throw StepStartError(description: "cannot make a pipe: \(String(cString: strerror(errno)))") }
        guard gitci_pipe(&reportPipe) == 0 else {
            requestPipe.forEach { close($0) }
            throw StepStartError(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        // The init's ends go to it as descriptors 3 and 4; gitci keeps the others.
        defer {
            close(requestPipe[0])
            close(reportPipe[1])
        }
        let bwrap: ProcessGroup
        do {
            bwrap = try ProcessGroup.spawn(sandbox.arguments(workspace: workspace), environment: environment, directory: "/",
                                           outputDescriptor: outputDescriptor, passing: [requestPipe[0], reportPipe[1]])
        } catch {
            close(requestPipe[1])
            close(reportPipe[0])
            throw StepStartError(description: "\(error.description); \(Self.advice)")
        }
        // A write after the init is gone must fail, not kill gitci.
        signal(SIGPIPE, SIG_IGN)
        state.withLock { state in
            state.bwrap = bwrap
            state.requests = requestPipe[1]
            state.reports = reportPipe[0]
        }
        return (bwrap, reportPipe[0])
    }

    // MARK: - The protocol

    @discardableResult
    func send(kind: Int32, _ payload: [UInt8]) -> Bool {
        var message: [UInt8] = []
        appendInteger(UInt32(bitPattern: kind), to: &message)
        appendInteger(UInt32(payload.count), to: &message)
        message += payload
        // One writer at a time: a signal sent while a step starts must not cut into it.
        return state.withLock { state in
            guard state.requests >= 0 else { return false }
            var offset = 0
            while offset < message.count {
                let written = message.withUnsafeBytes { write(state.requests, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    struct Report {
        let kind: Int32
        let first: Int32
        let second: Int32
    }

    /// The init's next report, without holding a thread while waiting; nil once it is gone.
    static func nextReport(_ descriptor: Int32) async -> Report? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Report?, Never>) in
            let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: reportsQueue)
            source.setEventHandler { [source] in
                // Reports are written whole, and are far shorter than what a pipe writes at once.
                var record: (Int32, Int32, Int32) = (0, 0, 0)
                let count = withUnsafeMutableBytes(of: &record) { read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { return }
                source.cancel()
                continuation.resume(returning: count == MemoryLayout.size(ofValue: record)
                    ? Report(kind: record.0, first: record.1, second: record.2) : nil)
            }
            source.resume()
        }
    }

    private static let reportsQueue = DispatchQueue(label: "gitci.sandbox-reports")

    // MARK: - Without namespaces

    static let advice = "builds on this machine need unprivileged user namespaces (bubblewrap): install bubblewrap, "
        + "allow them (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0; "
        + "in a container, run it with user namespaces allowed), or let this repository build without a sandbox: "
        + "git config gitci.sandbox off"

    /// Why bwrap cannot make a sandbox here, in its own words, with what to do about it.
    static func unavailableReason(bwrap: String) -> String {
        let said = SandboxProbe.failure(bwrap: bwrap) ?? "it did not start the job"
        return "the sandbox cannot start (\(said)); \(advice)"
    }
}

/// A step running in a SandboxedJob.
final class SandboxedStep: StepProcess {
    let job: SandboxedJob
    let processGroup: Int32
    private let reports: Int32
    private let exited = Mutex(false)

    init(job: SandboxedJob, processGroup: Int32, reports: Int32) {
        self.job = job
        self.processGroup = processGroup
        self.reports = reports
    }

    func waitForExit() async -> ProcessTermination {
        let report = await SandboxedJob.nextReport(reports)
        exited.withLock { $0 = true }
        guard let report, report.kind == GITCI_SANDBOX_EXITED else { return .signaled(SIGKILL) }
        return report.second == 1 ? .signaled(report.first) : .exited(report.first)
    }

    func terminate(grace: Double) {
        signal(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in
            guard !exited.withLock({ $0 }) else { return }
            signal(SIGKILL)
        }
    }

    private func signal(_ number: Int32) {
        var payload: [UInt8] = []
        appendInteger(UInt32(bitPattern: number), to: &payload)
        job.send(kind: GITCI_SANDBOX_SIGNAL, payload)
    }
}

/// In this machine's byte order: both ends of the pipe are on it.
private func appendInteger(_ value: UInt32, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value) { bytes += $0 }
}
