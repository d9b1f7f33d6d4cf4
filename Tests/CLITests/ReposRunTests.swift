import Foundation
import Testing
import TestSupport

/// `gitci run` in a developer's clone: a relative `repos:` URL is taken against the clone's
/// `origin`, as git takes relative submodule URLs; the pinned commits are shown, and recorded.
@Suite struct ReposRunTests {
    let hosted = TemporaryDirectory("gitci-hosted")
    let work = TemporaryDirectory("gitci-work")

    @Test func aClonesRunFindsItsReposBesideOriginShowsAndRecordsTheirCommits() throws {
        let lib = try SubmoduleRepositories.commit(to: hosted.url("lib.git"), files: ["lib.txt": "lib\n"])
        try SubmoduleRepositories.commit(to: hosted.url("app.git"), files: [".gitci.yml": """
            jobs:
              build:
                repos: [{ url: ../lib.git }]
                steps: ['test "$(cat lib/lib.txt)" = lib']
            """])
        try SubmoduleRepositories.run(["git", "clone", "-q", hosted.url("app.git"), work.path], in: "/")

        let text = try GitciBinary.run(["run", "--record"], in: work.path)
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("  repos: lib \(lib.prefix(10))"), "\(text.stdout)")
        let note = try SubmoduleRepositories.run(["git", "notes", "--ref=gitci", "show", "HEAD"], in: work.path)
        let record = try #require(note.split(separator: "\n").compactMap { try? jsonObject(String($0)) }.first { $0["job"] as? String == "build" })
        #expect(record["repos"] as? [String: String] == ["lib": lib])

        let json = try GitciBinary.run(["run", "--json"], in: work.path)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(jobsByName(try jsonObject(json.stdout))["build"]?["repos"] as? [String: String] == ["lib": lib])
    }

    /// A job's cache key holds its entries' pinned commits: unchanged, the job is reused with
    /// the same commits shown; a new commit of the other repository runs it again.
    @Test func aJobIsReusedWhileItsReposStayAndRunsWhenOneMoves() throws {
        let lib = try SubmoduleRepositories.commit(to: hosted.url("lib.git"), files: ["lib.txt": "lib\n"])
        try SubmoduleRepositories.commit(to: hosted.url("app.git"), files: [".gitci.yml": """
            jobs:
              build:
                repos: [{ url: ../lib.git, ref: main }]
                steps: ['cat lib/lib.txt']
            """])
        try SubmoduleRepositories.run(["git", "clone", "-q", hosted.url("app.git"), work.path], in: "/")
        func build(_ arguments: [String]) throws -> [String: Any] {
            let result = try GitciBinary.run(["run", "--json", "--commit", "HEAD"] + arguments, in: work.path)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            return try #require(jobsByName(try jsonObject(result.stdout))["build"])
        }
        #expect(try build(["--record"])["status"] as? String == "passed")
        let reused = try build([])
        #expect(reused["status"] as? String == "reused")
        #expect(reused["repos"] as? [String: String] == ["lib": lib])

        let moved = try SubmoduleRepositories.commit(to: hosted.url("lib.git"), files: ["lib.txt": "lib, moved\n"])
        let again = try build([])
        #expect(again["status"] as? String == "passed", "lib moved: the key changed")
        #expect(again["repos"] as? [String: String] == ["lib": moved])
    }

    @Test func validateWarnsOfEntriesThatWouldFailTheirJob() throws {
        let repo = try repository(pipeline: """
            jobs:
              fine:
                repos: [{ url: ../lib.git, path: vendor/lib }]
                steps: ['true']
              escapes:
                repos: [{ url: ../lib.git, path: ../elsewhere }]
                steps: ['true']
              secret:
                repos: [{ url: "https://me:hunter2@example.invalid/lib.git" }]
                steps: ['true']
            """)
        let result = try GitciBinary.run(["validate"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("warning:") }
        #expect(warnings == [
            ".gitci.yml: warning: job 'escapes' will fail: repos entry 'lib' (../lib.git): its path '../elsewhere' leaves the workspace ('..')",
            ".gitci.yml: warning: job 'secret' will fail: repos entry 'lib' (https://me:***@example.invalid/lib.git): a URL must not hold a password "
                + "(anyone who reads the pipeline reads it); gitci takes https credentials from git's credential helpers or gitci.credentials",
        ], "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
    }
}
