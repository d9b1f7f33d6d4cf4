import Agent
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Store
import Testing
import TestSupport

enum GitProtocolHeader {
    static let name = HTTPFields.Element.Name("Git-Protocol")!
}

/// Source reaches agents through git's smart HTTP served by the coordinator: real `git` clients
/// and AgentMirror against the application listening on loopback.
@Suite(.timeLimit(.minutes(3))) struct SourceDeliveryTests {
    /// A coordinator serving `repo`, with one agent token.
    struct Served: Sendable {
        let repo: GitFixture
        let name: String
        let token: String
        let coordinator: CoordinatorStore
        let home: TemporaryDirectory
    }

    static func serving(_ repo: GitFixture, _ body: @Sendable (any TestClientProtocol, String, Served) async throws -> Void) async throws {
        let home = TemporaryDirectory("gitci-coordinator")
        let coordinator = try CoordinatorStore.open(home: home.path)
        let token = try coordinator.createAgentToken(name: "builder")
        let repositories = ServedRepositories(registered: [], extra: [repo.path + "/.git"])
        let name = try #require(repositories.entries.first?.name)
        let served = Served(repo: repo, name: name, token: token, coordinator: coordinator, home: home)
        let app = buildApplication(ServerConfiguration(repositories: repositories, coordinator: coordinator))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(client, "http://localhost:\(port)", served)
        }
    }

    /// Runs blocking work (a git process, AgentMirror) on a thread of its own, so that the
    /// server in this process keeps the concurrency pool's threads.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    static func git(_ arguments: [String], in directory: String, token: String? = nil,
                    environment: [String: String] = [:]) async throws -> CommandResult {
        let header = token.map { ["-c", "http.extraHeader=Authorization: Bearer \($0)"] } ?? []
        return try await blocking { try Shell.run(["git"] + header + arguments, in: directory, environment: environment, timeout: 120) }
    }

    static func manyFiles(_ count: Int) -> [String: String] {
        var files: [String: String] = [:]
        for index in 0..<count {
            files["src/d\(index / 100)/f\(index).txt"] = "line one of file \(index)\nline two of file \(index): \(UUID().uuidString)\n"
        }
        return files
    }

    // MARK: - Real git over HTTP

    @Test(arguments: ["2", "0"]) func gitClonesAndFetchesWithTheToken(protocolVersion: String) async throws {
        let repo = try GitFixture(files: ["README": "hello\n", "src/main.c": "int main(void) { return 0; }\n"])
        try await Self.serving(repo) { _, base, served in
            let scratch = TemporaryDirectory()
            let version = ["-c", "protocol.version=\(protocolVersion)"]
            let trace = scratch.url("curl-trace")
            let clone = try await Self.git(version + ["clone", "-q", "\(base)/git/\(served.name)", "copy"], in: scratch.path,
                                           token: served.token)
            #expect(clone.status == 0, "\(clone.stderr)")
            #expect(try String(contentsOfFile: scratch.url("copy/README"), encoding: .utf8) == "hello\n")

            let copy = scratch.url("copy")
            let new = try repo.commit(["src/new.c": "/* new */\n"], message: "second")
            let fetch = try await Self.git(version + ["fetch", "-q", "\(base)/git/\(served.name).git", "main"], in: copy,
                                           token: served.token,
                                           environment: ["GIT_TRACE_CURL": trace, "GIT_TRACE_CURL_NO_DATA": "1"])
            #expect(fetch.status == 0, "\(fetch.stderr)")
            #expect(try await Self.git(["rev-parse", "FETCH_HEAD"], in: copy).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == new)
            let traced = try String(contentsOfFile: trace, encoding: .utf8)
            #expect(traced.contains("Authorization: Bearer <redacted>"), "the token went as a header")
            #expect(!traced.contains(served.token))
        }
    }

    /// git's client gzips request bodies over a kilobyte (a negotiation with many haves).
    @Test func aGzipEncodedRequestIsDecoded() async throws {
        let repo = try GitFixture(files: ["a.txt": "a\n"])
        let head = try repo.git(["rev-parse", "HEAD"])
        let scratch = TemporaryDirectory()
        let plain = "0014command=ls-refs\n" + "0001" + "0009peel\n" + "0000"
        try Data(plain.utf8).write(to: URL(fileURLWithPath: scratch.url("request")))
        _ = try Shell.run(["gzip", scratch.url("request")])
        let gzipped = try Data(contentsOf: URL(fileURLWithPath: scratch.url("request.gz")))
        try await Self.serving(repo) { client, _, served in
            let headers: HTTPFields = [.authorization: "Bearer \(served.token)", .contentType: "application/x-git-upload-pack-request",
                                       .contentEncoding: "gzip", GitProtocolHeader.name: "version=2"]
            try await client.execute(uri: "/git/\(served.name)/git-upload-pack", method: .post, headers: headers,
                                     body: ByteBuffer(bytes: gzipped)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/x-git-upload-pack-result")
                #expect(String(buffer: response.body).contains("\(head) refs/heads/main"), "\(String(buffer: response.body))")
            }
        }
    }

    /// A request over the limit is refused, whether it arrives that large or inflates to it.
    @Test func anOversizedRequestIs413() async throws {
        let repo = try GitFixture(files: ["a.txt": "a\n"])
        let scratch = TemporaryDirectory()
        let oversized = 64 << 20 + 1
        _ = try Shell.run(["sh", "-c", "head -c \(oversized) /dev/zero | gzip -c > \"$0\"", scratch.url("bomb.gz")])
        let bomb = try Data(contentsOf: URL(fileURLWithPath: scratch.url("bomb.gz")))
        #expect(bomb.count < 1 << 20)
        try await Self.serving(repo) { client, _, served in
            var headers: HTTPFields = [.authorization: "Bearer \(served.token)", .contentType: "application/x-git-upload-pack-request"]
            try await client.execute(uri: "/git/\(served.name)/git-upload-pack", method: .post, headers: headers,
                                     body: ByteBuffer(repeating: UInt8(ascii: "0"), count: oversized)) { response in
                #expect(response.status == .contentTooLarge)
            }
            headers[.contentEncoding] = "gzip"
            try await client.execute(uri: "/git/\(served.name)/git-upload-pack", method: .post, headers: headers,
                                     body: ByteBuffer(bytes: bomb)) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test func aMissingWrongOrRevokedTokenGetsNothing() async throws {
        let repo = try GitFixture(files: ["secret.txt": "the repository's content\n"])
        let head = try repo.git(["rev-parse", "HEAD"])
        try await Self.serving(repo) { client, base, served in
            let other = try served.coordinator.createAgentToken(name: "revoked")
            #expect(try served.coordinator.revokeAgentToken(name: "revoked"))
            let answers: [(String, String?)] = [("none", nil), ("wrong", "Bearer gitci_0000_nottherightone"),
                                                ("revoked", "Bearer \(other)"), ("not bearer", "Basic \(served.token)")]
            for (label, authorization) in answers {
                for uri in ["/git/\(served.name)/info/refs?service=git-upload-pack", "/git/nope/info/refs?service=git-upload-pack",
                            "/git/\(served.name)/HEAD"] {
                    var headers = HTTPFields()
                    if let authorization { headers[.authorization] = authorization }
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(label) \(uri)")
                        let body = String(buffer: response.body)
                        #expect(!body.contains(head) && !body.contains("refs/heads"), "\(label): \(body)")
                    }
                }
                var headers: HTTPFields = [.contentType: "application/x-git-upload-pack-request"]
                if let authorization { headers[.authorization] = authorization }
                try await client.execute(uri: "/git/\(served.name)/git-upload-pack", method: .post, headers: headers,
                                         body: ByteBuffer(string: "0014command=ls-refs\n0000")) { response in
                    #expect(response.status == .unauthorized, "\(label) POST")
                    #expect(!String(buffer: response.body).contains(head))
                }
            }
            let scratch = TemporaryDirectory()
            let clone = try await Self.git(["clone", "-q", "\(base)/git/\(served.name)", "copy"], in: scratch.path, token: other)
            #expect(clone.status != 0)
            #expect(!FileManager.default.fileExists(atPath: scratch.url("copy/secret.txt")))
        }
    }

    @Test func pushUnknownRepositoriesAndOtherRequestsAreRefused() async throws {
        let repo = try GitFixture(files: ["a.txt": "a\n"])
        try await Self.serving(repo) { client, base, served in
            let auth: HTTPFields = [.authorization: "Bearer \(served.token)"]
            let cases: [(String, HTTPRequest.Method, HTTPResponse.Status)] = [
                ("/git/\(served.name)/info/refs?service=git-receive-pack", .get, .forbidden),
                ("/git/\(served.name)/git-receive-pack", .post, .forbidden),
                ("/git/nope/info/refs?service=git-upload-pack", .get, .notFound),
                ("/git/nope/git-upload-pack", .post, .notFound),
                ("/git/\(served.name)/info/refs", .get, .badRequest),
                ("/git/\(served.name)/info/refs?service=git-frobnicate", .get, .badRequest),
                ("/git/\(served.name)/HEAD", .get, .badRequest),
                ("/git/\(served.name)/objects/info/packs", .get, .badRequest),
                ("/git/\(served.name)/git-upload-pack", .post, .unsupportedMediaType),
            ]
            for (uri, method, status) in cases {
                try await client.execute(uri: uri, method: method, headers: auth) { response in
                    #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
                    #expect(!String(buffer: response.body).contains(served.repo.path), "no server path in the answer")
                }
            }
            // A body that says gzip and is not.
            var headers = auth
            headers[.contentType] = "application/x-git-upload-pack-request"
            headers[.contentEncoding] = "gzip"
            try await client.execute(uri: "/git/\(served.name)/git-upload-pack", method: .post, headers: headers,
                                     body: ByteBuffer(string: "not gzip at all")) { response in
                #expect(response.status == .badRequest)
            }

            let scratch = TemporaryDirectory()
            let clone = try await Self.git(["clone", "-q", "\(base)/git/\(served.name)", "copy"], in: scratch.path, token: served.token)
            #expect(clone.status == 0, "\(clone.stderr)")
            let copy = scratch.url("copy")
            _ = try await Self.git(["commit", "-q", "--allow-empty", "-m", "pushed"], in: copy)
            let push = try await Self.git(["push", "origin", "HEAD:refs/heads/pushed"], in: copy, token: served.token)
            #expect(push.status != 0)
            #expect(push.stderr.contains("403"), "\(push.stderr)")
            #expect((try? repo.git(["rev-parse", "--verify", "-q", "refs/heads/pushed"])) == nil, "nothing was pushed")
        }
    }

    @Test func aRepositoryGitCannotReadIsA500WithoutItsPath() async throws {
        let folder = TemporaryDirectory("gitci-not-a-repo")
        try FileManager.default.createDirectory(atPath: folder.url("broken.git"), withIntermediateDirectories: true)
        let home = TemporaryDirectory("gitci-coordinator")
        let coordinator = try CoordinatorStore.open(home: home.path)
        let token = try coordinator.createAgentToken(name: "builder")
        let app = buildApplication(ServerConfiguration(repositories: ServedRepositories(registered: [], extra: [folder.url("broken.git")]),
                                                       coordinator: coordinator))
        try await app.test(.router) { client in
            try await client.execute(uri: "/git/broken/info/refs?service=git-upload-pack", method: .get,
                                     headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                #expect(body.contains("broken") && !body.contains(folder.path), "\(body)")
            }
        }
    }

    // MARK: - AgentMirror

    @Test func theSecondFetchReceivesOnlyWhatChanged() async throws {
        let repo = try GitFixture(files: Self.manyFiles(2_000))
        let first = try repo.git(["rev-parse", "HEAD"])
        try await Self.serving(repo) { _, base, served in
            let agentHome = TemporaryDirectory("gitci-agent")
            let mirror = AgentMirror(home: agentHome.path, server: base + "/", token: served.token)
            let one = try await Self.blocking { try mirror.fetch(repository: served.name, commit: first) }
            #expect(one.gitDirectory == agentHome.path + "/mirrors/\(served.name).git")
            let second = try repo.commit(["src/d7/f700.txt": "changed\n"], message: "one file")
            let two = try await Self.blocking { try mirror.fetch(repository: served.name, commit: second) }
            let again = try await mirror.fetch(repository: served.name, commit: second)

            #expect(one.receivedBytes > 50_000, "a first fetch of 2,000 files: \(one.receivedBytes) bytes")
            #expect(two.receivedBytes > 0)
            #expect(two.receivedBytes * 10 < one.receivedBytes, "second fetch \(two.receivedBytes) bytes, first \(one.receivedBytes)")
            #expect(again.receivedBytes == 0, "a commit already there is not fetched again")

            let gitDirectory = two.gitDirectory
            let read = try Shell.run(["git", "--git-dir=\(gitDirectory)", "cat-file", "-p", "\(second):src/d7/f700.txt"])
            #expect(read.stdout == "changed\n", "\(read.stderr)")
            #expect(try Shell.run(["git", "--git-dir=\(gitDirectory)", "cat-file", "-e", "\(first)^{tree}"]).status == 0)
            let refs = try Shell.run(["git", "--git-dir=\(gitDirectory)", "for-each-ref", "--format=%(objectname) %(refname)"]).stdout
            #expect(refs.contains("\(first) refs/gitci/fetched/\(first)") && refs.contains("\(second) refs/gitci/fetched/\(second)"), "\(refs)")
            let config = try String(contentsOfFile: gitDirectory + "/config", encoding: .utf8)
            #expect(!config.contains(served.token), "the token is not kept in the mirror")
        }
    }

    @Test func onlyTheNewestFetchesKeepARef() async throws {
        let repo = try GitFixture(files: ["a.txt": "0\n"])
        var commits: [String] = []
        for index in 0..<(AgentMirror.keptFetches + 3) {
            // Commit dates one second apart: the mirror keeps the newest by commit date.
            let date = "\(1_700_000_000 + index) +0000"
            try repo.write("a.txt", "version \(index)\n")
            _ = try Shell.run(["git", "commit", "-q", "-am", "c\(index)"], in: repo.path,
                              environment: ["GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date])
            commits.append(try repo.git(["rev-parse", "HEAD"]))
        }
        let made = commits
        try await Self.serving(repo) { _, base, served in
            let agentHome = TemporaryDirectory("gitci-agent")
            let mirror = AgentMirror(home: agentHome.path, server: base, token: served.token)
            for commit in made {
                _ = try await Self.blocking { try mirror.fetch(repository: served.name, commit: commit) }
            }
            let refs = try Shell.run(["git", "--git-dir=\(agentHome.path)/mirrors/\(served.name).git", "for-each-ref",
                                      "--format=%(refname)", "refs/gitci/fetched/"]).stdout.split(separator: "\n")
            #expect(refs.count == AgentMirror.keptFetches)
            #expect(refs.contains("refs/gitci/fetched/\(made.last!)"[...]))
            #expect(!refs.contains("refs/gitci/fetched/\(made.first!)"[...]))
        }
    }

    @Test func twoSlotsFetchingOneRepositoryTakeTurns() async throws {
        let repo = try GitFixture(files: Self.manyFiles(300))
        let head = try repo.git(["rev-parse", "HEAD"])
        try await Self.serving(repo) { _, base, served in
            let agentHome = TemporaryDirectory("gitci-agent")
            let mirror = AgentMirror(home: agentHome.path, server: base, token: served.token)
            async let one = Self.blocking { try mirror.fetch(repository: served.name, commit: head) }
            async let two = Self.blocking { try mirror.fetch(repository: served.name, commit: head) }
            let results = try await [one, two]
            #expect(results.map(\.receivedBytes).filter { $0 > 0 }.count == 1, "one fetched, the other found it there: \(results)")
            #expect(try Shell.run(["git", "--git-dir=\(results[0].gitDirectory)", "cat-file", "-e", "\(head)^{tree}"]).status == 0)
        }
    }

    @Test func aFailedFetchNamesRepositoryAndServerButNotTheToken() async throws {
        let repo = try GitFixture(files: ["a.txt": "a\n"])
        let head = try repo.git(["rev-parse", "HEAD"])
        try await Self.serving(repo) { _, base, served in
            let agentHome = TemporaryDirectory("gitci-agent")
            for (repository, token) in [("unknown", served.token), (served.name, served.token + "x")] {
                let mirror = AgentMirror(home: agentHome.path, server: base, token: token)
                let error = await #expect(throws: AgentMirror.FetchError.self) {
                    try await Self.blocking { try mirror.fetch(repository: repository, commit: head) }
                }
                #expect(error?.reason == .fetch)
                let text = error?.description ?? ""
                #expect(text.contains("'\(repository)'") && text.contains(base), "\(text)")
                #expect(text.contains(repository == "unknown" ? "not found" : "refused the agent token (HTTP 401)"), "\(text)")
                #expect(!text.contains(served.token), "\(text)")
            }
        }
    }

    @Test func hostileRepositoryNamesAreRefusedBeforeAnythingIsMade() throws {
        let agentHome = TemporaryDirectory("gitci-agent")
        let mirror = AgentMirror(home: agentHome.path, server: "http://127.0.0.1:9", token: "t")
        for name in ["", ".", "..", "../escape", "a/b", "/etc", "x\u{0}y", "line\nbreak", "-upload-pack=evil", "a..b", "back\\slash"] {
            #expect(throws: AgentMirror.FetchError.self, "\(name.debugDescription)") {
                try mirror.fetch(repository: name, commit: String(repeating: "a", count: 40))
            }
        }
        #expect(throws: AgentMirror.FetchError.self) { try mirror.fetch(repository: "fine", commit: "HEAD; rm -rf /") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: agentHome.path).isEmpty)
    }
}
