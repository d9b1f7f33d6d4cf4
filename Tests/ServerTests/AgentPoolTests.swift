import Foundation
import Testing
import TestSupport

/// `gitci serve` and `gitci agent` as real processes on loopback: jobs go to the agents whose
/// labels fit, survive agents and coordinators that die or lose each other, and are recorded
/// once, by the coordinator alone.
@Suite(.serialized) struct AgentPoolTests {
    @Test func twoAgentsWithDifferentLabelsRunTheirJobsAndHandArtifactsAcross() throws {
        let fixture = try CoordinatorFixture(pipeline: """
            jobs:
              build:
                labels: [linux]
                steps: ["echo built-on-$GITCI_NODE > out.txt"]
                artifacts: [out.txt]
              test:
                needs: [build]
                labels: [py312]
                steps: ["cat out.txt", "echo tested-on-$GITCI_NODE"]
            """)
        try fixture.startServe(["--no-local-jobs"])
        try fixture.startAgent("builder", labels: ["linux"])
        try fixture.startAgent("tester", labels: ["py312", "linux-not"])
        try fixture.server.pushOK(["origin", "HEAD:main"])
        let commit = try fixture.server.clone.git(["rev-parse", "HEAD"])
        let records = try fixture.waitForResult(commit)
        let pipeline = try #require(records.first { $0["kind"] as? String == "pipeline" })
        #expect(pipeline["status"] as? String == "passed", "\(records)\n\(fixture.allLogs())")
        #expect(try fixture.jobRecords(commit, "build").map { $0["node"] as? String } == ["builder"])
        #expect(try fixture.jobRecords(commit, "test").map { $0["node"] as? String } == ["tester"])
        // The artifact made on one agent was placed in the other's workspace, and the log the
        // coordinator keeps is the one the agent wrote.
        let log = try fixture.server.log(of: commit, job: "test")
        #expect(log.contains("built-on-builder") && log.contains("tested-on-tester"), "\(log)")
        let agents = try fixture.agentsDocument()
        #expect(Set(agents.compactMap { $0["name"] as? String }) == ["builder", "tester"])
    }

    @Test func anAgentKilledMidJobLosesItToAnotherAndTheJobIsRecordedOnce() throws {
        let fixture = try CoordinatorFixture(pipeline: """
            jobs:
              slow:
                steps: ["echo begun on $GITCI_NODE", "sleep 4", "echo done"]
            """)
        try fixture.startServe(["--no-local-jobs", "--lease-seconds", "3"])
        let first = try fixture.startAgent("first", labels: [])
        try fixture.server.pushOK(["origin", "HEAD:main"])
        let commit = try fixture.server.clone.git(["rev-parse", "HEAD"])
        try fixture.waitUntil("the job runs on the first agent") {
            try fixture.agentsDocument().contains { $0["name"] as? String == "first" && !(($0["jobs"] as? [Any]) ?? []).isEmpty }
        }
        fixture.kill(first)
        try fixture.startAgent("second", labels: [])
        let records = try fixture.waitForResult(commit)
        let jobs = try fixture.jobRecords(commit, "slow")
        #expect(jobs.count == 1, "\(records)")
        #expect(jobs.first?["node"] as? String == "second")
        #expect(jobs.first?["status"] as? String == "passed", "\(fixture.allLogs())")
        let log = try fixture.server.log(of: commit, job: "slow")
        #expect(log.contains("begun on second") && !log.contains("begun on first"), "the log is the second attempt's: \(log)")
        #expect(fixture.allLogs().contains("stopped renewing the lease"))
    }

    @Test func aCoordinatorKilledMidPipelineCompletesItAfterARestart() throws {
        let fixture = try CoordinatorFixture(pipeline: """
            jobs:
              first:
                steps: ["echo first on $GITCI_NODE", "sleep 4"]
              second:
                needs: [first]
                steps: ["echo second"]
            """)
        let port = Int.random(in: 20_000...40_000)
        try fixture.startServe(["--no-local-jobs"], port: port)
        try fixture.startAgent("steady", labels: [])
        try fixture.server.pushOK(["origin", "HEAD:main"])
        let commit = try fixture.server.clone.git(["rev-parse", "HEAD"])
        // Killed while the agent runs the job's steps: its first line has reached the coordinator.
        try fixture.waitUntil("the first job's log reaches the coordinator") {
            fixture.jobLogs(named: "001-first.log").contains { $0.contains("first on steady") }
        }
        fixture.kill(try #require(fixture.serve))
        Thread.sleep(forTimeInterval: 1)
        try fixture.startServe(["--no-local-jobs"], port: port)
        let records = try fixture.waitForResult(commit)
        let pipeline = try #require(records.first { $0["kind"] as? String == "pipeline" })
        #expect(pipeline["status"] as? String == "passed", "\(records)\n\(fixture.allLogs())")
        #expect(try fixture.jobRecords(commit, "first").count == 1)
        #expect(try fixture.jobRecords(commit, "second").count == 1)
        #expect(try fixture.server.log(of: commit, job: "first").contains("first on steady"))
    }

    @Test func anAgentCutOffForTenSecondsDeliversItsWholeLogAndResult() throws {
        let fixture = try CoordinatorFixture(pipeline: """
            jobs:
              chatty:
                steps: ["for i in $(seq 1 40); do echo line-$i; sleep 0.5; done"]
            """)
        try fixture.startServe(["--no-local-jobs"])
        let relay = try TCPRelay(to: fixture.port)
        try fixture.startAgent("remote", labels: [], server: "http://127.0.0.1:\(relay.port)")
        try fixture.server.pushOK(["origin", "HEAD:main"])
        let commit = try fixture.server.clone.git(["rev-parse", "HEAD"])
        try fixture.waitUntil("the job runs on the agent") {
            try fixture.agentsDocument().contains { !(($0["jobs"] as? [Any]) ?? []).isEmpty }
        }
        Thread.sleep(forTimeInterval: 2)
        relay.cut()
        Thread.sleep(forTimeInterval: 10)
        try relay.restore()
        let records = try fixture.waitForResult(commit)
        #expect(try fixture.jobRecords(commit, "chatty").map { $0["status"] as? String } == ["passed"], "\(records)")
        let lines = try fixture.server.log(of: commit, job: "chatty").split(separator: "\n").filter { $0.hasPrefix("line-") }
        #expect(lines == (1...40).map { "line-\($0)"[...] }, "\(lines)")
    }

    @Test func aJobNoAgentCanTakeWaitsForOneAndCancelReachesIt() throws {
        let fixture = try CoordinatorFixture(pipeline: """
            jobs:
              mac:
                labels: [macos]
                steps: ["echo on $GITCI_NODE", "sleep 120"]
            """)
        try fixture.startServe()
        try fixture.server.pushOK(["origin", "HEAD:main"])
        let commit = try fixture.server.clone.git(["rev-parse", "HEAD"])
        try fixture.waitUntil("gitci status says what the job waits for") {
            let jobs = try fixture.server.status(commit)["jobs"] as? [[String: Any]] ?? []
            return jobs.contains { ($0["reason"] as? String) == "waiting for an agent with labels macos" }
        }
        let text = try fixture.server.gitci(["status", commit])
        #expect(text.stdout.contains("waiting for an agent with labels macos"), "\(text.stdout)")
        try fixture.startAgent("mini", labels: ["macos"])
        try fixture.waitUntil("the job runs on the agent that joined") {
            try fixture.agentsDocument().contains { $0["name"] as? String == "mini" && !(($0["jobs"] as? [Any]) ?? []).isEmpty }
        }
        let cancel = try fixture.server.gitci(["cancel", commit])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        // Far sooner than the step's two minutes: the agent heard it through its lease's long poll.
        let records = try fixture.waitForResult(commit)
        #expect(try fixture.jobRecords(commit, "mac").map { $0["status"] as? String } == ["cancelled"], "\(records)")
        #expect(try fixture.jobRecords(commit, "mac").first?["node"] as? String == "mini")
        #expect(fixture.allLogs().contains("cancelled by the coordinator"))
    }

    @Test func anAgentWithAWrongOrRevokedTokenIsRefusedAndRunsNothing() throws {
        let fixture = try CoordinatorFixture(pipeline: "jobs:\n  unit:\n    steps: [\"echo hi\"]\n")
        try fixture.startServe(["--no-local-jobs"])
        let wrong = try fixture.startAgent("wrong", labels: [], token: "gitci-agent-0123456789ab-" + String(repeating: "f", count: 64))
        #expect(ProcessTable.waitForExit(of: wrong, timeout: 30))
        #expect(wrong.terminationStatus != 0)
        let revokedToken = try fixture.token("revoked")
        let revoke = try GitciBinary.run(["agent-token", "revoke", "revoked"], in: fixture.home.path, environment: fixture.environment)
        #expect(revoke.status == 0)
        let revoked = try fixture.startAgent("revoked", labels: [], token: revokedToken)
        #expect(ProcessTable.waitForExit(of: revoked, timeout: 30))
        #expect(revoked.terminationStatus != 0)
        #expect(fixture.allLogs().contains("refused the agent token"))
        let answer = try Shell.run(["curl", "-s", "-w", "\n%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \(revokedToken)",
                                    "--data", #"{"name":"x","labels":[],"slots":1}"#, "\(fixture.url)/api/v1/agent/claim"])
        #expect(answer.stdout.hasSuffix("\n401"), "\(answer.stdout)")
        #expect(!answer.stdout.contains(fixture.server.serverPath) && !answer.stdout.contains("revoked\""))
        // Nothing was handed out: no agent appears.
        #expect(try fixture.agentsDocument().isEmpty)
    }
}

/// A TCP relay on loopback between an agent and its coordinator, whose connections a test cuts
/// (every open one dropped, new ones refused) and restores on the same port.
final class TCPRelay: @unchecked Sendable {
    let port: Int
    let target: Int
    private var process: Process?

    static let script = """
        import socket, sys, threading
        listen, target = int(sys.argv[1]), int(sys.argv[2])
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", listen))
        server.listen(128)
        print(server.getsockname()[1], flush=True)
        def pipe(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        while True:
            client, _ = server.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", target))
            except OSError:
                client.close()
                continue
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        """

    init(to target: Int) throws {
        self.target = target
        let (process, port) = try Self.start(listen: 0, target: target)
        self.process = process
        self.port = port
    }

    private static func start(listen: Int, target: Int) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, String(listen), String(target)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw FixtureError("the relay did not start: \(line)")
        }
        return (process, port)
    }

    /// Drops every connection, and refuses new ones until `restore`.
    func cut() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = ProcessTable.waitForExit(of: process, timeout: 10)
        }
        process = nil
    }

    func restore() throws {
        process = try Self.start(listen: port, target: target).0
    }

    deinit {
        cut()
    }
}
