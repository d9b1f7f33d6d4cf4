import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Store
import Testing
import TestSupport

/// The web UI's pages, their JSON twins and what keeps them safe: escaping of every value from a
/// repository, the content security policy, sign-in, and POST actions that need a token.
@Suite struct WebPagesTests {
    static let hostileBranch = "<img/src=x/onerror=alert(1)>"

    struct Setup {
        let repo: GitFixture
        let home = TemporaryDirectory()
        let store: CoordinatorStore
        let served: ServedRepositories
        let name: String
        let head: String

        init() throws {
            repo = try GitFixture(files: [".gitci.yml": """
                stages: [build, test]
                jobs:
                  build:
                    stage: build
                    steps: ["mkdir -p dist && echo wheel > dist/app.whl"]
                    artifacts: [dist/*.whl]
                  test:
                    stage: test
                    needs: [build]
                    steps: ["printf '<testsuite name=\\"s\\"><testcase classname=\\"s\\" name=\\"&lt;img src=x onerror=alert(2)&gt;\\"><failure message=\\"boom\\">trace</failure></testcase><testcase classname=\\"s\\" name=\\"ok\\"/></testsuite>' > report.xml"]
                    junit: [report.xml]
                """], message: "first <script>alert(3)</script>")
            try repo.git(["checkout", "-q", "-b", WebPagesTests.hostileBranch])
            let run = try GitciBinary.run(["run", "--commit", "HEAD", "--record"], in: repo.path)
            guard run.status == 0 else { throw FixtureError("gitci run failed: \(run.stderr)") }
            head = try repo.git(["rev-parse", "HEAD"])
            served = ServedRepositories(registered: [], extra: [repo.path + "/.git"])
            name = served.entries[0].name
            store = try CoordinatorStore.open(home: home.path)
        }

        func application(requireSignIn: Bool = false) throws -> some ApplicationProtocol {
            var configuration = ServerConfiguration(repositories: served, coordinator: store, localSlots: 0)
            try configuration.loadWebTemplates(from: SourceTree.webTemplates)
            configuration.requireSignIn = requireSignIn
            return buildApplication(configuration)
        }

        var pages: [String] {
            ["/", "/repos/\(name)", "/repos/\(name)/branches/main", "/repos/\(name)/branches/%3Cimg/src=x/onerror=alert(1)%3E",
             "/repos/\(name)/commits/\(head)", "/repos/\(name)/commits/\(head)/tests", "/repos/\(name)/tests",
             "/repos/\(name)/tests?suite=s&name=ok", "/login"]
        }
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    @Test func everyPageRendersWithItsContent() async throws {
        let setup = try Setup()
        let short = String(setup.head.prefix(10))
        let expected: [String: [String]] = [
            "/": [setup.name, "Build agents"],
            "/repos/\(setup.name)": ["Plan branches"],
            "/repos/\(setup.name)/commits/\(setup.head)": ["build", "test", "dist/app.whl", "tests: 1 passed, 1 failed", "id=\"rerun\""],
            "/repos/\(setup.name)/commits/\(setup.head)/tests": ["boom", "1 failed"],
            "/repos/\(setup.name)/branches/main": [short],
        ]
        try await setup.application().test(.router) { client in
            for page in setup.pages {
                try await client.execute(uri: page, method: .get) { response in
                    #expect(response.status == .ok, "\(page)")
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(page)")
                    let html = String(buffer: response.body)
                    for text in expected[page] ?? [] { #expect(html.contains(text), "\(page) lacks \(text)") }
                }
            }
        }
    }

    @Test func valuesFromTheRepositoryAreEscapedOnEveryPage() async throws {
        let setup = try Setup()
        try await setup.application().test(.router) { client in
            for page in setup.pages {
                try await client.execute(uri: page, method: .get) { response in
                    let html = String(buffer: response.body)
                    #expect(!html.contains("<img/src=x") && !html.contains("<img src=x"), "\(page) holds an unescaped <img")
                    #expect(!html.contains("<script>"), "\(page) holds an inline script")
                    #expect(!html.contains("onerror=alert(1)>"), "\(page)")
                }
            }
            try await client.execute(uri: "/repos/\(setup.name)/commits/\(setup.head)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("&lt;img/src=x/onerror=alert(1)&gt;"))
                #expect(html.contains("first &lt;script&gt;alert(3)&lt;/script&gt;"))
            }
            try await client.execute(uri: "/repos/\(setup.name)/commits/\(setup.head)/tests", method: .get) { response in
                #expect(String(buffer: response.body).contains("&lt;img src=x onerror=alert(2)&gt;"))
            }
        }
    }

    @Test func everyAnswerCarriesAPolicyThatForbidsInlineScriptsAndFraming() async throws {
        let setup = try Setup()
        try await setup.application().test(.router) { client in
            for page in setup.pages + ["/api/v1/", "/static/style.css", "/repos/nope"] {
                try await client.execute(uri: page, method: .get) { response in
                    let policy = response.headers[.contentSecurityPolicy] ?? ""
                    #expect(policy.contains("script-src 'self'"), "\(page)")
                    #expect(!policy.contains("unsafe-inline"), "\(page)")
                    #expect(policy.contains("frame-ancestors 'none'"), "\(page)")
                    guard response.headers[.contentType]?.hasPrefix("text/html") == true else { return }
                    let html = String(buffer: response.body)
                    #expect(html.range(of: #"<script(?![^>]*\bsrc=)"#, options: .regularExpression) == nil, "\(page) has an inline script")
                    #expect(html.range(of: #"<[^>]*\son[a-z]+="#, options: .regularExpression) == nil, "\(page) has an event handler attribute")
                    #expect(html.range(of: #"<[^>]*\sstyle="#, options: .regularExpression) == nil, "\(page) has a style attribute")
                }
            }
        }
    }

    @Test func everyPageIsAlsoJSON() async throws {
        let setup = try Setup()
        try await setup.application().test(.router) { client in
            let documents: [(String, [String])] = [
                ("/api/v1/", ["repositories", "agents", "builds"]),
                ("/api/v1/repos/\(setup.name)", ["active", "retired"]),
                ("/api/v1/repos/\(setup.name)/branches/main", ["commits", "flaky"]),
                ("/api/v1/repos/\(setup.name)/commits/\(setup.head)", ["jobs", "status"]),
                ("/api/v1/repos/\(setup.name)/commits/\(setup.head)/tests", ["tests", "commit"]),
                ("/api/v1/repos/\(setup.name)/tests", ["flaky"]),
                ("/api/v1/repos/\(setup.name)/tests?suite=s&name=ok", ["runs"]),
            ]
            for (path, keys) in documents {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    for key in keys { #expect(object?[key] != nil, "\(path) lacks \(key)") }
                }
            }
            try await client.execute(uri: "/api/v1/repos/\(setup.name)/tests?suite=s&name=ok", method: .get) { response in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let runs = object?["runs"] as? [[String: Any]]
                #expect(runs?.first?["status"] as? String == "passed")
                #expect(runs?.first?["commit"] as? String == setup.head)
            }
        }
    }

    @Test func whatIsNotThereIsA404PageThatSaysWhat() async throws {
        let setup = try Setup()
        try await setup.application().test(.router) { client in
            for (path, text) in [("/repos/nope", "no repository named &#39;nope&#39;"),
                                 ("/repos/\(setup.name)/commits/0123456789012345678901234567890123456789", "no commit"),
                                 ("/repos/\(setup.name)/branches/gone", "no branch &#39;gone&#39;"),
                                 ("/repos/\(setup.name)/commits/\(setup.head)/jobs/build/artifacts/nothing.whl", "no artifact")] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                    let body = String(buffer: response.body)
                    #expect(body.contains(text) || body.contains(text.replacingOccurrences(of: "&#39;", with: "'")), "\(path): \(body)")
                }
            }
        }
    }

    @Test func artifactsDownloadByLink() async throws {
        let setup = try Setup()
        try await setup.application().test(.router) { client in
            try await client.execute(uri: "/repos/\(setup.name)/commits/\(setup.head)/jobs/build/artifacts/dist%2Fapp.whl", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "wheel\n")
                #expect(response.headers[.contentDisposition]?.contains("filename=\"app.whl\"") == true)
            }
        }
    }

    @Test func underAuthReadingNeedsATokenAndAnAgentTokenIsNotOne() async throws {
        let setup = try Setup()
        let user = try setup.store.createToken(.user, name: "ada")
        let agent = try setup.store.createAgentToken(name: "builder")
        try await setup.application(requireSignIn: true).test(.router) { client in
            try await client.execute(uri: "/repos/\(setup.name)", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/login?next=") == true)
            }
            try await client.execute(uri: "/api/v1/repos/\(setup.name)", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/repos/\(setup.name)", method: .get, headers: [.authorization: "Bearer \(agent)"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/repos/\(setup.name)", method: .get, headers: [.authorization: "Bearer \(user)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "token=nonsense")) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "token=\(user)&next=%2F%2Fevil.example%2F")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/")
                let cookie = response.headers[.setCookie] ?? ""
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Strict"))
            }
            try await client.execute(uri: "/repos/\(setup.name)", method: .get, headers: [.cookie: "gitci_session=\(user)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("ada"))
            }
            // The job page and its log's answers, badges and artifacts too.
            let job = "/repos/\(setup.name)/commits/\(setup.head)/jobs/build"
            try await client.execute(uri: job, method: .get) { response in
                #expect(response.status == .seeOther)
            }
            for path in [job + "/log/events", job + "/log/before?offset=0", "/api/v1" + job, "/api/v1" + job + "/log/search?q=x",
                         "/badge/\(setup.name)/main.svg", job + "/artifacts/dist%2Fapp.whl", "/api/v1/repos/\(setup.name)/commits/\(setup.head)/tests",
                         "/api/v1/repos", "/api/v1/repos/\(setup.name)/plans", "/api/v1/repos/\(setup.name)/commits/\(setup.head)",
                         "/api/v1/repos/\(setup.name)/log/main", "/api/v1/" + job.dropFirst() + "/log"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                }
            }
            try await client.execute(uri: job, method: .get, headers: [.cookie: "gitci_session=\(user)"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func rerunNeedsATokenAndTheFormsCSRFValueAndQueuesABuild() async throws {
        let setup = try Setup()
        let user = try setup.store.createToken(.user, name: "ada")
        let commitPage = "/repos/\(setup.name)/commits/\(setup.head)"
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        let cookie: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: "gitci_session=\(user)"]
        try await setup.application().test(.router) { client in
            try await client.execute(uri: commitPage + "/rerun", method: .post, headers: form, body: ByteBuffer(string: "")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/login") == true)
            }
            try await client.execute(uri: commitPage + "/rerun", method: .post, headers: cookie, body: ByteBuffer(string: "csrf=forged")) { response in
                #expect(response.status == .forbidden)
            }
            let csrf = try await client.execute(uri: commitPage, method: .get, headers: [.cookie: "gitci_session=\(user)"]) { response in
                Self.csrf(in: String(buffer: response.body))
            }
            let value = try #require(csrf.flatMap { $0.isEmpty ? nil : $0 })
            var crossSite = cookie
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            try await client.execute(uri: commitPage + "/rerun", method: .post, headers: crossSite, body: ByteBuffer(string: "csrf=\(value)")) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: commitPage + "/rerun", method: .post, headers: cookie,
                                     body: ByteBuffer(string: "csrf=\(value)&job=nosuchjob")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: commitPage + "/rerun", method: .post, headers: cookie,
                                     body: ByteBuffer(string: "csrf=\(value)&job=build")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == commitPage)
            }
            try await client.execute(uri: commitPage + "/rerun", method: .post, headers: [.authorization: "Bearer \(user)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("queued"))
            }
        }
        let queue = try BuildQueue.open(stateFolder: setup.repo.path + "/.git/gitci")
        let builds = try queue.activeBuilds()
        #expect(builds.count == 2)
        #expect(builds.first?.jobs == ["build"])
        #expect(builds.allSatisfy { $0.commit == setup.head && $0.reason?.contains("ada") == true })
    }

    @Test func aRepositoryWithManyPlanBranchesIsShownAPageAtATime() async throws {
        let setup = try Setup()
        let queue = try BuildQueue.open(stateFolder: setup.repo.path + "/.git/gitci")
        try queue.update { transaction in
            for index in 0..<150 { try transaction.activatePlan(String(format: "feature/%03d", index), commit: setup.head) }
            for index in 0..<5 { try transaction.activatePlan("old/\(index)", commit: setup.head) }
            for index in 0..<5 { try transaction.retirePlan("old/\(index)") }
        }
        try await setup.application().test(.router) { client in
            try await client.execute(uri: "/repos/\(setup.name)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("feature/000") && html.contains("feature/099"))
                #expect(!html.contains("feature/100"))
                #expect(html.contains("page=2"))
                #expect(html.contains("5 retired plan branches"))
            }
            try await client.execute(uri: "/repos/\(setup.name)?page=2", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("feature/100") && html.contains("feature/149"))
                #expect(!html.contains("feature/099"))
            }
            try await client.execute(uri: "/api/v1/repos/\(setup.name)?q=feature/14", method: .get) { response in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((object?["active"] as? [Any])?.count == 10)
                #expect(object?["active_total"] as? Int == 10)
            }
            try await client.execute(uri: "/repos/\(setup.name)?page=99", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("page 2 of 2"))
            }
        }
    }
}
