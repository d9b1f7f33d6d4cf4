import Foundation
import Hummingbird
import HummingbirdTesting
import Runner
import Server
import Store
import Testing
import TestSupport

/// The agent API refuses what an agent must not do, with a clear error, and records nothing of
/// it: a job stays as it was until its holder reports a result that fits.
@Suite struct AgentAPITests {
    struct Setup {
        let home = TemporaryDirectory()
        let store: CoordinatorStore
        let served: ServedRepositories
        let token: String
        let otherToken: String
        let job: CoordinatorStore.DispatchedJob
        let logPath: String
        let repo: GitFixture

        init() throws {
            repo = try GitFixture(files: [".gitci.yml": "jobs:\n  unit:\n    steps: [\"true\"]\n"])
            served = ServedRepositories(registered: [], extra: [repo.path + "/.git"])
            store = try CoordinatorStore.open(home: home.path)
            token = try store.createAgentToken(name: "a1")
            otherToken = try store.createAgentToken(name: "a2")
            logPath = home.url("logs/001-unit.log")
            let name = served.entries[0].name
            let assignment = JobAssignment(runID: "r1", commit: try repo.git(["rev-parse", "HEAD"]), job: "unit", position: 1,
                                           branch: "main", tag: nil, configBlob: try repo.git(["rev-parse", "HEAD:.gitci.yml"]))
            job = try store.enqueueJob(repository: name, runID: "r1", job: "unit", labels: [],
                                       assignment: try JSONEncoder().encode(AgentAPI.JobOrder(repository: name, assignment: assignment)),
                                       logPath: logPath)
        }

        var application: some ApplicationProtocol {
            buildApplication(ServerConfiguration(repositories: served, coordinator: store, localSlots: 0))
        }

        func headers(_ token: String?) -> HTTPFields {
            var fields: HTTPFields = [.contentType: "application/json"]
            if let token { fields[.authorization] = "Bearer \(token)" }
            return fields
        }
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static let claim = #"{"name":"a1","labels":[],"slots":1,"wait":0}"#

    @Test func callsWithoutAValidTokenAre401AndSayNothingElse() async throws {
        let setup = try Setup()
        try setup.store.revokeAgentToken(name: "a2")
        try await setup.application.test(.router) { client in
            for token in [nil, "nonsense", "gitci-agent-000000000000-" + String(repeating: "0", count: 64), setup.otherToken] {
                try await client.execute(uri: "/api/v1/agent/claim", method: .post, headers: setup.headers(token),
                                         body: Self.body(Self.claim)) { response in
                    #expect(response.status == .unauthorized)
                    let text = String(buffer: response.body)
                    #expect(!text.contains("unit") && !text.contains(setup.repo.path), "\(text)")
                }
            }
        }
        #expect(try setup.store.dispatchedJob(setup.job.id)?.state == .queued, "nothing was handed out")
    }

    @Test func hostileAgentInputIsRefusedAndNothingIsRecorded() async throws {
        let setup = try Setup()
        let id = setup.job.id
        try await setup.application.test(.router) { client in
            try await client.execute(uri: "/api/v1/agent/claim", method: .post, headers: setup.headers(setup.token),
                                     body: Self.body("{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("not a valid ClaimRequest document"))
            }
            try await client.execute(uri: "/api/v1/agent/claim", method: .post, headers: setup.headers(setup.token),
                                     body: Self.body(#"{"name":"../etc","labels":[],"slots":1}"#)) { response in
                #expect(response.status == .badRequest)
            }
            var attempt = 0
            try await client.execute(uri: "/api/v1/agent/claim", method: .post, headers: setup.headers(setup.token),
                                     body: Self.body(Self.claim)) { response in
                #expect(response.status == .ok)
                let claimed = try JSONDecoder().decode(AgentAPI.ClaimedJob.self, from: Data(String(buffer: response.body).utf8))
                #expect(claimed.id == id && claimed.order.assignment.job == "unit")
                attempt = claimed.attempt
            }
            let job = "/api/v1/agent/jobs/\(id)"
            // Logs: a gap, an oversized chunk, another agent's token, a wrong attempt.
            try await client.execute(uri: "\(job)/log?attempt=\(attempt)&offset=100", method: .post, headers: setup.headers(setup.token),
                                     body: Self.body("late")) { response in
                #expect(response.status == .conflict)
                let refusal = try JSONDecoder().decode(AgentAPI.Refusal.self, from: Data(String(buffer: response.body).utf8))
                #expect(refusal.expected == 0)
            }
            try await client.execute(uri: "\(job)/log?attempt=\(attempt)&offset=0", method: .post, headers: setup.headers(setup.token),
                                     body: ByteBuffer(repeating: 65, count: AgentAPI.largestLogChunk + 1)) { response in
                #expect(response.status == .contentTooLarge)
            }
            let stranger = try setup.store.createAgentToken(name: "a3")
            try await client.execute(uri: "\(job)/log?attempt=\(attempt)&offset=0", method: .post, headers: setup.headers(stranger),
                                     body: Self.body("forged\n")) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "\(job)/log?attempt=\(attempt + 1)&offset=0", method: .post, headers: setup.headers(setup.token),
                                     body: Self.body("forged\n")) { response in
                #expect(response.status == .conflict)
            }
            // A chunk sent twice, and one that overlaps, are taken once.
            for (offset, text) in [(0, "hello\n"), (0, "hello\n"), (3, "lo\nworld\n")] {
                try await client.execute(uri: "\(job)/log?attempt=\(attempt)&offset=\(offset)", method: .post,
                                         headers: setup.headers(setup.token), body: Self.body(text)) { response in
                    #expect(response.status == .ok)
                }
            }
            #expect(try String(contentsOfFile: setup.logPath, encoding: .utf8) == "hello\nworld\n")
            // Results: garbage, another job's, a log not all sent, an artifact never uploaded.
            let passed = JobResult(name: "unit", stage: "test", status: .passed)
            var otherJob = passed
            otherJob.name = "deploy"
            var withArtifact = passed
            withArtifact.artifacts = [.init(name: "x.whl", size: 1, sha256: String(repeating: "a", count: 64))]
            let refused: [(ByteBuffer, HTTPResponse.Status)] = [
                (Self.body("[1, 2"), .badRequest),
                (try Self.report(attempt, otherJob, logSize: 12), .unprocessableContent),
                (try Self.report(attempt, passed, logSize: 500), .conflict),
                (try Self.report(attempt, withArtifact, logSize: 12), .unprocessableContent),
            ]
            for (body, status) in refused {
                try await client.execute(uri: "\(job)/result?attempt=\(attempt)", method: .post, headers: setup.headers(setup.token),
                                         body: body) { response in
                    #expect(response.status == status, "\(String(buffer: response.body))")
                }
            }
            let row = try #require(try setup.store.dispatchedJob(id))
            #expect(row.state == .running && row.result == nil, "nothing recorded by refused calls")
            try await client.execute(uri: "\(job)/result?attempt=\(attempt)", method: .post, headers: setup.headers(setup.token),
                                     body: try Self.report(attempt, passed, logSize: 12)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "\(job)/result?attempt=\(attempt)", method: .post, headers: setup.headers(setup.token),
                                     body: try Self.report(attempt, passed, logSize: 12)) { response in
                #expect(response.status == .conflict, "a second result is not taken")
            }
        }
        #expect(try setup.store.dispatchedJob(id)?.state == .finished)
    }

    static func report(_ attempt: Int, _ result: JobResult, logSize: Int64) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(AgentAPI.ResultReport(attempt: attempt, result: result, logSize: logSize)))
    }
}
