import Foundation
import Testing
import TestSupport

/// `artifacts:` through the built binary: files kept in the state folder by SHA-256, listed in
/// the note, handed to the jobs that need them, restored by `gitci artifacts`. What was written
/// is checked with `git notes`, `sha256sum` and the files themselves.
@Suite struct ArtifactsTests {
    static let pipeline = """
        stages: [build, test]
        jobs:
          build:
            stage: build
            artifacts: ["dist/**", "!dist/*.tmp", "report.txt"]
            steps:
              - mkdir -p dist/sub
              - printf 'wheel-bytes' > dist/app.whl
              - printf 'nested' > dist/sub/data.bin
              - printf 'scratch' > dist/skip.tmp
              - printf 'wheel-bytes' > report.txt
          test:
            stage: test
            needs: [build]
            steps:
              - test "$(cat dist/app.whl)" = wheel-bytes
              - test "$(cat dist/sub/data.bin)" = nested
              - test ! -e dist/skip.tmp
        """

    static func sha256sum(_ path: String) throws -> String {
        String(try Shell.run(["sha256sum", path]).stdout.prefix(64))
    }

    /// The job records of `commit`'s note, read with git, by job name.
    static func noted(_ repo: GitFixture, _ commit: String = "HEAD") throws -> [String: [String: Any]] {
        let lines = try repo.git(["notes", "--ref=gitci", "show", commit]).split(separator: "\n")
        let records = try lines.map { try jsonObject(String($0)) }.filter { $0["kind"] as? String == "job" }
        return Dictionary(records.map { ($0["job"] as? String ?? "", $0) }, uniquingKeysWith: { _, last in last })
    }

    static func store(_ repo: GitFixture) throws -> String {
        let gitDirectory = try repo.git(["rev-parse", "--absolute-git-dir"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return gitDirectory + "/gitci/artifacts"
    }

    @Test func keptArtifactsAreStoredByHashNotedAndPassedToTheNeedingJob() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let run = try GitciBinary.run(["run", "--record", "--jobs", "1"], in: repo.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")

        let build = try #require(try Self.noted(repo)["build"])
        let artifacts = try #require(build["artifacts"] as? [[String: Any]])
        #expect(artifacts.map { $0["name"] as? String } == ["dist/app.whl", "dist/sub/data.bin", "report.txt"])
        let store = try Self.store(repo)
        for artifact in artifacts {
            let sha = try #require(artifact["sha256"] as? String)
            let object = store + "/" + sha.prefix(2) + "/" + sha.dropFirst(2)
            #expect(try Self.sha256sum(object) == sha)
            #expect(artifact["size"] as? Int == (try FileManager.default.attributesOfItem(atPath: object)[.size] as? Int))
        }
        // The same content under two names is stored once.
        #expect(artifacts[0]["sha256"] as? String == artifacts[2]["sha256"] as? String)
        let objects = try Shell.run(["find", store, "-type", "f"]).stdout.split(separator: "\n")
        #expect(objects.count == 2)
        #expect(try Self.noted(repo)["test"]?["status"] as? String == "passed")

        // Listed from the note.
        let listed = try GitciBinary.run(["artifacts", "--json"], in: repo.path)
        #expect(listed.status == 0, "\(listed.stderr)")
        let document = try jsonObject(listed.stdout)
        #expect(document["commit"] as? String == (try repo.git(["rev-parse", "HEAD"])).trimmingCharacters(in: .whitespacesAndNewlines))
        let entries = try #require(document["artifacts"] as? [[String: Any]])
        #expect(entries.map { $0["job"] as? String } == ["build", "build", "build"])
        #expect(entries.first?["sha256"] as? String == artifacts.first?["sha256"] as? String)

        // Restored with their folders.
        let out = TemporaryDirectory("gitci-artifacts-out")
        let all = try GitciBinary.run(["artifacts", "HEAD", "build", "--all", "--out", out.path], in: repo.path)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(try String(contentsOfFile: out.url("dist/sub/data.bin"), encoding: .utf8) == "nested")
        #expect(try String(contentsOfFile: out.url("dist/app.whl"), encoding: .utf8) == "wheel-bytes")
        let one = TemporaryDirectory("gitci-artifacts-one")
        let get = try GitciBinary.run(["artifacts", "HEAD", "--get", "report.txt", "--out", one.path], in: repo.path)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try String(contentsOfFile: one.url("report.txt"), encoding: .utf8) == "wheel-bytes")
        #expect(!FileManager.default.fileExists(atPath: one.url("dist")))
        let missing = try GitciBinary.run(["artifacts", "HEAD", "--get", "nope", "--out", one.path], in: repo.path)
        #expect(missing.status == 1)
    }

    @Test func withoutTheArtifactTheNeedingJobFails() throws {
        // The control for the test above: the same dependent job, but nothing kept.
        let repo = try repository(pipeline: Self.pipeline.replacingOccurrences(of: "artifacts: [\"dist/**\", \"!dist/*.tmp\", \"report.txt\"]", with: "artifacts_when: always"))
        let run = try GitciBinary.run(["run", "--record", "--jobs", "1"], in: repo.path)
        #expect(run.status == 1)
        #expect(try Self.noted(repo)["test"]?["status"] as? String == "failed")
    }

    /// A reused build job hands on the artifacts its earlier run kept; without them in the
    /// store it is not reused but run again.
    @Test func aReusedJobHandsOnItsEarlierArtifacts() throws {
        let repo = try repository(pipeline: """
            jobs:
              build:
                artifacts: [dist/app.whl]
                steps: ["mkdir dist", "echo wheel > dist/app.whl"]
              test:
                needs: [build]
                cache: false
                steps: ["grep wheel dist/app.whl"]
            """)
        let first = try GitciBinary.run(["run", "--record", "--json"], in: repo.path)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let firstJobs = jobsByName(try jsonObject(first.stdout))
        #expect((firstJobs["build"]?["artifacts"] as? [[String: Any]])?.first?["name"] as? String == "dist/app.whl")
        let second = try GitciBinary.run(["run", "--record", "--json"], in: repo.path)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let jobs = jobsByName(try jsonObject(second.stdout))
        #expect(jobs["build"]?["status"] as? String == "reused")
        #expect(jobs["test"]?["status"] as? String == "passed")
        #expect((try Self.noted(repo)["build"]?["artifacts"] as? [[String: Any]])?.count == 1)

        try FileManager.default.removeItem(atPath: try Self.store(repo))
        let third = try GitciBinary.run(["run", "--json"], in: repo.path)
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(jobsByName(try jsonObject(third.stdout))["build"]?["status"] as? String == "passed")
    }

    @Test func dependenciesNameWhoseArtifactsArrive() throws {
        let repo = try repository(pipeline: """
            jobs:
              a:
                artifacts: [a.txt]
                steps: ["echo from-a > a.txt"]
              b:
                artifacts: [b.txt]
                steps: ["echo from-b > b.txt"]
              c:
                needs: [a, b]
                dependencies: [b]
                steps: ["test ! -e a.txt", "grep from-b b.txt"]
            """)
        let run = try GitciBinary.run(["run", "--record", "--jobs", "1"], in: repo.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try Self.noted(repo)["c"]?["status"] as? String == "passed")
    }

    @Test func dependenciesOfAMissingJobAreAConfigError() throws {
        let repo = try repository(pipeline: """
            jobs:
              build:
                artifacts: [a.txt]
                steps: ["touch a.txt"]
              test:
                dependencies: [biuld]
                steps: ["true"]
            """)
        let run = try GitciBinary.run(["run"], in: repo.path)
        #expect(run.status == 2)
        let diagnostics = configDiagnostics(run.stderr)
        #expect(diagnostics.count == 1, "\(run.stderr)")
        #expect(diagnostics.first?.line == 6)
        #expect(diagnostics.first?.message.contains("'biuld'") == true)
        #expect(diagnostics.first?.message.contains("did you mean 'build'") == true)
    }

    @Test func artifactsWhenDecidesAfterWhichOutcome() throws {
        let repo = try repository(pipeline: """
            jobs:
              fails-keeps:
                artifacts: [log.txt]
                artifacts_when: on_failure
                steps: ["echo crash > log.txt", "false"]
              passes-skips:
                artifacts: [log.txt]
                artifacts_when: on_failure
                steps: ["echo fine > log.txt"]
              fails-default:
                artifacts: [log.txt]
                steps: ["echo crash > log.txt", "false"]
            """)
        let run = try GitciBinary.run(["run", "--record"], in: repo.path)
        #expect(run.status == 1)
        let noted = try Self.noted(repo)
        #expect((noted["fails-keeps"]?["artifacts"] as? [[String: Any]])?.first?["name"] as? String == "log.txt")
        #expect(noted["passes-skips"]?["artifacts"] == nil)
        #expect(noted["passes-skips"]?["status"] as? String == "passed")
        #expect(noted["fails-default"]?["artifacts"] == nil)
    }

    @Test func aPatternMatchingNothingWarnsOrFailsWhenRequired() throws {
        let repo = try repository(pipeline: """
            jobs:
              lenient:
                artifacts: [missing/*.whl]
                steps: ["true"]
              strict:
                artifacts: [missing/*.whl]
                artifacts_required: true
                steps: ["true"]
            """)
        let run = try GitciBinary.run(["run", "--record"], in: repo.path)
        #expect(run.status == 1)
        let noted = try Self.noted(repo)
        #expect(noted["lenient"]?["status"] as? String == "passed")
        #expect(noted["strict"]?["status"] as? String == "failed")
        #expect((noted["strict"]?["reason"] as? String)?.contains("missing/*.whl") == true)
        let log = try #require(noted["lenient"]?["log"] as? String)
        // A note keeps the log's path relative to the state folder, which holds the store.
        let stateFolder = ((try Self.store(repo)) as NSString).deletingLastPathComponent
        let logPath = log.hasPrefix("/") ? log : stateFolder + "/" + log
        #expect(try String(contentsOfFile: logPath, encoding: .utf8).contains("warning: 'missing/*.whl' matched nothing"))
    }

    @Test func aLinkOutOfTheWorkspaceIsNotFollowed() throws {
        let outside = TemporaryDirectory("gitci-artifacts-secret")
        try "secret".write(toFile: outside.url("secret.txt"), atomically: true, encoding: .utf8)
        let repo = try repository(pipeline: """
            jobs:
              leak:
                artifacts: ["out/*"]
                steps:
                  - mkdir out
                  - ln -s "$SECRET" out/secret.txt
                  - echo mine > out/mine.txt
                  - ln -s mine.txt out/alias.txt
            """)
        let run = try GitciBinary.run(["run", "--record"], in: repo.path, environment: ["SECRET": outside.url("secret.txt")])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let artifacts = try #require(try Self.noted(repo)["leak"]?["artifacts"] as? [[String: Any]])
        #expect(artifacts.map { $0["name"] as? String } == ["out/alias.txt", "out/mine.txt"])
    }

    @Test func absoluteAndClimbingPatternsAreConfigErrors() throws {
        let repo = try repository(pipeline: """
            jobs:
              bad:
                artifacts: [/etc/passwd, ../up.txt, "!../x", ok.txt]
                artifacts_when: sometimes
                steps: ["true"]
            """)
        let run = try GitciBinary.run(["run"], in: repo.path)
        #expect(run.status == 2)
        let messages = configDiagnostics(run.stderr).map(\.message)
        #expect(messages.contains { $0.contains("'/etc/passwd'") && $0.contains("absolute") })
        #expect(messages.contains { $0.contains("'../up.txt'") && $0.contains("..") })
        #expect(messages.contains { $0.contains("'!../x'") })
        #expect(messages.contains { $0.contains("artifacts_when") && $0.contains("sometimes") })
        #expect(!messages.contains { $0.contains("ok.txt") })
    }

    /// A file far larger than any chunk goes through the store intact (sparse: no disk cost).
    @Test func aBigFileIsStoredIntact() throws {
        let repo = try repository(pipeline: """
            jobs:
              big:
                artifacts: [big.bin]
                steps:
                  - truncate -s 200M big.bin
                  - printf 'end' >> big.bin
            """)
        let run = try GitciBinary.run(["run", "--record"], in: repo.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let artifact = try #require((try Self.noted(repo)["big"]?["artifacts"] as? [[String: Any]])?.first)
        #expect(artifact["size"] as? Int == 200 * 1024 * 1024 + 3)
        let sha = try #require(artifact["sha256"] as? String)
        let object = try Self.store(repo) + "/" + sha.prefix(2) + "/" + sha.dropFirst(2)
        #expect(try Self.sha256sum(object) == sha)
    }

    /// `gitci gc` keeps the last gitci.keepBuilds builds of each branch and tagged builds, and
    /// frees the rest (objects are aged first: new ones are always kept).
    @Test func gcKeepsTheLastBuildsOfBranchesAndTagsAndFreesTheRest() throws {
        let pipeline = """
            jobs:
              build:
                artifacts: [out.txt]
                steps: ["echo \\"$GITCI_COMMIT\\" > out.txt"]
            """
        let repo = try repository(pipeline: pipeline)
        var commits: [String] = []
        for number in 1...4 {
            if number > 1 { _ = try repo.commit(["file\(number).txt": "\(number)\n"]) }
            let run = try GitciBinary.run(["run", "--record", "--commit", "HEAD"], in: repo.path)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            commits.append(try repo.git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        _ = try repo.git(["tag", "v1", commits[0]])
        _ = try repo.git(["config", "gitci.keepBuilds", "2"])
        func sha(_ commit: String) throws -> String {
            let artifacts = try #require(try Self.noted(repo, commit)["build"]?["artifacts"] as? [[String: Any]])
            return try #require(artifacts.first?["sha256"] as? String)
        }
        let store = try Self.store(repo)
        func stored(_ commit: String) throws -> Bool {
            let hash = try sha(commit)
            return FileManager.default.fileExists(atPath: store + "/" + hash.prefix(2) + "/" + hash.dropFirst(2))
        }
        // Fresh objects are kept whatever the notes say.
        let fresh = try GitciBinary.run(["gc"], in: repo.path)
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(try stored(commits[1]))
        _ = try Shell.run(["find", store, "-type", "f", "-exec", "touch", "-d", "2 hours ago", "{}", "+"])

        let gc = try GitciBinary.run(["gc"], in: repo.path)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("freed 1 artifact file(s)"), "\(gc.stdout)")
        #expect(try stored(commits[0]))  // tagged
        #expect(try !stored(commits[1]))  // third-newest build of main
        #expect(try stored(commits[2]))
        #expect(try stored(commits[3]))

        _ = try repo.git(["config", "gitci.keepBuilds", "many"])
        #expect(try GitciBinary.run(["gc"], in: repo.path).status == 2)
    }

    /// Notes can be written by anyone who can push them: a name that climbs out of the
    /// destination, or a hash that is no hash, restores nothing.
    @Test func aHostileNoteRestoresNothingOutsideTheFolder() throws {
        let repo = try repository(pipeline: "jobs:\n  a:\n    steps: [\"true\"]\n")
        let sha = String(repeating: "a", count: 64)
        let line = #"{"v":1,"kind":"job","pipeline":"r","job":"a","status":"passed","started":"2026-01-01T00:00:00.000Z","duration_ms":1,"artifacts":[{"name":"../escape.txt","size":1,"sha256":""# + sha + #""},{"name":"x.txt","size":1,"sha256":"../../etc/passwd"}]}"#
        _ = try repo.git(["notes", "--ref=gitci", "add", "-m", line, "HEAD"])
        let parent = TemporaryDirectory("gitci-artifacts-hostile")
        let out = parent.url("out")
        let restore = try GitciBinary.run(["artifacts", "HEAD", "--all", "--out", out], in: repo.path)
        #expect(restore.status == 1)
        #expect(restore.stderr.contains("refusing the artifact name '../escape.txt'"), "\(restore.stderr)")
        #expect(restore.stderr.contains("no valid SHA-256"), "\(restore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: parent.url("escape.txt")))
        #expect(!FileManager.default.fileExists(atPath: out + "/x.txt"))
    }
}
