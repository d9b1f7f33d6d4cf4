import Foundation
import Testing
import TestSupport

/// `gitci run` does not run what did not change: jobs whose cache key matches an earlier passed
/// run are reused, `changes:` jobs with nothing changed are skipped. Driven through the built
/// binary; what was recorded is read back with the real `git`.
@Suite struct CacheTests {
    static let pipeline = """
        jobs:
          build:
            inputs: [".", "!docs/"]
            steps: ["echo built > {out}/build-$GITCI_COMMIT"]
          check:
            inputs: [src/]
            env: { LEVEL: strict }
            steps: ["echo checked > {out}/check-$GITCI_COMMIT"]
          docs:
            needs: [check]
            inputs: [docs/]
            steps: ["echo docs > {out}/docs-$GITCI_COMMIT"]
        """

    final class Repo {
        let git: GitFixture
        let out = TemporaryDirectory("gitci-cache-out")

        init(pipeline: String = CacheTests.pipeline) throws {
            git = try GitFixture()
            try git.commit([".gitci.yml": pipeline.replacingOccurrences(of: "{out}", with: out.path),
                            "src/app.py": "print(1)\n", "docs/index.md": "# app\n"], message: "pipeline")
        }

        /// `gitci run ARGUMENTS --json`, its document's jobs by name.
        func run(_ arguments: [String] = ["--record"], expect status: Int32 = 0,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [String: Any]] {
            let result = try GitciBinary.run(["run", "--json", "--jobs", "1"] + arguments, in: git.path)
            #expect(result.status == status, "gitci run: \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
            return jobsByName(try jsonObject(result.stdout))
        }

        func statuses(_ jobs: [String: [String: Any]]) -> [String: String] {
            jobs.mapValues { $0["status"] as? String ?? "?" }
        }

        func head() throws -> String { try git.git(["rev-parse", "HEAD"]) }

        /// The job records of the newest run in `commit`'s note, read with git, by job name.
        func noted(_ commit: String) throws -> [String: [String: Any]] {
            let lines = try git.git(["notes", "--ref=gitci", "show", commit]).split(separator: "\n")
            let records = try lines.map { try jsonObject(String($0)) }.filter { $0["kind"] as? String == "job" }
            let newest = records.map { $0["attempt"] as? Int ?? 1 }.max() ?? 1
            return Dictionary(records.filter { ($0["attempt"] as? Int ?? 1) == newest }.map { ($0["job"] as? String ?? "", $0) },
                              uniquingKeysWith: { first, _ in first })
        }

        func ran(_ job: String, at commit: String) -> Bool {
            FileManager.default.fileExists(atPath: out.url("\(job)-\(commit)"))
        }
    }

    @Test func aDocsOnlyCommitReusesTheJobsWhoseInputsLeaveDocsOut() throws {
        let repo = try Repo()
        let first = try repo.head()
        let firstRun = try repo.run()
        #expect(repo.statuses(firstRun) == ["build": "passed", "check": "passed", "docs": "passed"])
        let keys = try repo.noted(first).mapValues { $0["cache_key"] as? String ?? "" }
        #expect(keys.values.allSatisfy { $0.count == 40 }, "every run job records its key: \(keys)")

        let docsOnly = try repo.git.commit(["docs/index.md": "# app, documented\n"])
        let second = try repo.run()
        #expect(repo.statuses(second) == ["build": "reused", "check": "reused", "docs": "passed"])
        #expect(second["build"]?["reused_from"] as? String == first)
        #expect(second["build"]?["cache_key"] as? String == keys["build"])
        #expect(!repo.ran("build", at: docsOnly) && !repo.ran("check", at: docsOnly) && repo.ran("docs", at: docsOnly))
        // In the note, as git shows it.
        let noted = try repo.noted(docsOnly)
        #expect(noted["build"]?["status"] as? String == "reused")
        #expect(noted["build"]?["reused_from"] as? String == first)
        #expect(noted["build"]?["cache_key"] as? String == keys["build"])
        #expect(noted["docs"]?["reused_from"] == nil)
        #expect((noted["docs"]?["cache_key"] as? String)?.count == 40)
        #expect(try repo.git.git(["notes", "--ref=gitci", "show", docsOnly]).contains(#""status":"reused""#))

        let srcChange = try repo.git.commit(["src/app.py": "print(2)\n"])
        let third = try repo.run()
        #expect(repo.statuses(third) == ["build": "passed", "check": "passed", "docs": "reused"])
        #expect(third["docs"]?["reused_from"] as? String == docsOnly)
        #expect(repo.ran("build", at: srcChange) && repo.ran("check", at: srcChange))
    }

    @Test func statusAndTheRunSummarySayWhyAJobWasReused() throws {
        let repo = try Repo()
        let first = try repo.head()
        _ = try repo.run()
        let next = try repo.git.commit(["docs/index.md": "# again\n"])
        let run = try GitciBinary.run(["run", "--record"], in: repo.git.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let key = try repo.noted(next)["build"]?["cache_key"] as? String ?? "?"
        let summaryLine = run.stdout.split(separator: "\n").first { $0.hasPrefix("build ") }.map(String.init) ?? ""
        #expect(summaryLine.contains("reused") && summaryLine.contains("reused from \(first.prefix(10)) (cache key \(key.prefix(10)))"),
                "\(run.stdout)")
        let status = try GitciBinary.run(["status", next], in: repo.git.path)
        let statusLine = status.stdout.split(separator: "\n").first { $0.contains("build") }.map(String.init) ?? ""
        #expect(statusLine.contains("reused") && statusLine.contains("reused from \(first.prefix(10)) (cache key \(key.prefix(10)))"),
                "\(status.stdout)")
        let document = try jsonObject(GitciBinary.run(["status", next, "--json"], in: repo.git.path).stdout)
        #expect(jobsByName(document)["build"]?["reused_from"] as? String == first)
        #expect(jobsByName(document)["build"]?["cache_key"] as? String == key)
    }

    @Test func aNewBranchOfAnUnchangedTreeReusesEverything() throws {
        let repo = try Repo()
        let first = try repo.head()
        _ = try repo.run()
        try repo.git.git(["checkout", "-q", "-b", "feature"])
        let branched = try repo.git.commit([:], message: "empty commit on a new branch")
        let jobs = try repo.run()
        #expect(repo.statuses(jobs) == ["build": "reused", "check": "reused", "docs": "reused"])
        #expect(jobs.values.allSatisfy { $0["reused_from"] as? String == first })
        #expect(try repo.noted(branched).values.allSatisfy { $0["status"] as? String == "reused" })
    }

    @Test func changingAStepOrAnEnvValueInvalidatesTheKey() throws {
        let repo = try Repo()
        _ = try repo.run()
        let pipeline = try String(contentsOfFile: repo.git.directory.url(".gitci.yml"), encoding: .utf8)
        // The pipeline file is in build's inputs: only check and docs can show what the
        // definition does.
        try repo.git.commit([".gitci.yml": pipeline.replacingOccurrences(of: "echo docs", with: "echo documentation")])
        #expect(repo.statuses(try repo.run()) == ["build": "passed", "check": "reused", "docs": "passed"])
        try repo.git.commit([".gitci.yml": pipeline.replacingOccurrences(of: "LEVEL: strict", with: "LEVEL: lax")])
        #expect(repo.statuses(try repo.run()) == ["build": "passed", "check": "passed", "docs": "reused"])
    }

    @Test func noCacheRunsEveryJobAndStillRecordsTheirKeys() throws {
        let repo = try Repo()
        _ = try repo.run()
        let jobs = try repo.run(["--record", "--no-cache"])
        #expect(repo.statuses(jobs) == ["build": "passed", "check": "passed", "docs": "passed"])
        #expect(try repo.noted(try repo.head()).values.allSatisfy { ($0["cache_key"] as? String)?.count == 40 })
    }

    @Test func aJobWithCacheFalseOrWithSecretsRunsEveryTime() throws {
        let repo = try Repo(pipeline: """
            jobs:
              plain:
                inputs: [src/]
                steps: ["echo plain > {out}/plain-$GITCI_COMMIT"]
              deploy:
                inputs: [src/]
                cache: false
                steps: ["echo deploy > {out}/deploy-$GITCI_COMMIT"]
              publish:
                inputs: [src/]
                secrets: [TOKEN]
                steps: ["echo publish > {out}/publish-$GITCI_COMMIT"]
              publishAgain:
                inputs: [src/]
                secrets: [TOKEN]
                cache: true
                steps: ["echo again > {out}/publishAgain-$GITCI_COMMIT"]
            """)
        _ = try repo.run()
        _ = try repo.git.commit(["docs/index.md": "# app, documented\n"])
        let second = try repo.run()
        #expect(repo.statuses(second) == ["plain": "reused", "deploy": "passed", "publish": "passed", "publishAgain": "reused"])
        #expect(try repo.noted(try repo.head())["deploy"]?["cache_key"] == nil, "a job that is never reused records no key")
    }

    @Test func aReusedJobLetsWhatNeedsItRunAndAFailedRunIsNeverReused() throws {
        let repo = try Repo(pipeline: """
            jobs:
              check:
                inputs: [src/]
                steps: ["test ! -e {out}/fail"]
              docs:
                needs: [check]
                inputs: [docs/]
                steps: ["echo docs > {out}/docs-$GITCI_COMMIT"]
            """)
        _ = try repo.run()
        let next = try repo.git.commit(["docs/index.md": "# changed\n"])
        #expect(repo.statuses(try repo.run()) == ["check": "reused", "docs": "passed"])
        #expect(repo.ran("docs", at: next))

        // A failed run of a key is not a result to stand on.
        try repo.git.commit(["src/app.py": "print(3)\n"])
        _ = FileManager.default.createFile(atPath: repo.out.url("fail"), contents: nil)
        #expect(repo.statuses(try repo.run(expect: 1)) == ["check": "failed", "docs": "skipped"])
        try repo.git.commit(["docs/index.md": "# changed again\n"])
        #expect(repo.statuses(try repo.run(expect: 1))["check"] == "failed")
    }

    @Test func reindexGivesTheSameReuseAnswers() throws {
        let repo = try Repo()
        let first = try repo.head()
        _ = try repo.run()
        try repo.git.commit(["docs/index.md": "# changed\n"])
        let withIndex = try repo.run([])
        let reindex = try GitciBinary.run(["reindex"], in: repo.git.path)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let afterReindex = try repo.run([])
        // Without any index file at all, it is rebuilt from the notes with the same answers.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: repo.git.path + "/.git/gitci/index.sqlite" + suffix) }
        let rebuilt = try repo.run([])
        for jobs in [afterReindex, rebuilt] {
            #expect(repo.statuses(jobs) == repo.statuses(withIndex))
            #expect(jobs.mapValues { $0["reused_from"] as? String ?? "-" } == withIndex.mapValues { $0["reused_from"] as? String ?? "-" })
        }
        #expect(withIndex["build"]?["reused_from"] as? String == first)
        #expect(withIndex["docs"]?["status"] as? String == "passed")
    }

    @Test func aWorkingTreeRunDoesNotReuseAJobWhoseInputsHaveUncommittedChanges() throws {
        let repo = try Repo()
        _ = try repo.run()
        try repo.git.write("src/new_module.py", "print('new')\n")
        let jobs = try repo.run([])
        #expect(repo.statuses(jobs) == ["build": "passed", "check": "passed", "docs": "reused"])
        let log = try String(contentsOfFile: jobs["check"]?["log"] as? String ?? "", encoding: .utf8)
        #expect(log.contains("its inputs have uncommitted changes (src/new_module.py)"), "\(log)")
    }

    // MARK: - changes:

    static let changesPipeline = """
        jobs:
          app:
            changes: ["src/**"]
            steps: ["echo app > {out}/app-$GITCI_COMMIT"]
          after:
            needs: [app]
            steps: ["echo after > {out}/after-$GITCI_COMMIT"]
        """

    @Test func onANewBranchChangesComparesWithTheMergeBase() throws {
        let repo = try Repo(pipeline: Self.changesPipeline)
        try repo.git.commit(["src/app.py": "print(2)\n"])
        let forkPoint = try repo.git.commit(["docs/index.md": "# main moved on\n"])
        try repo.git.git(["checkout", "-q", "-b", "feature"])
        let docsOnly = try repo.git.commit(["docs/feature.md": "# feature\n"])
        // main moves on in src/ after the fork: compared with main's tip, src/ would differ.
        try repo.git.git(["checkout", "-q", "main"])
        try repo.git.commit(["src/app.py": "print(3)\n"])
        try repo.git.git(["checkout", "-q", "feature"])
        let jobs = try repo.run()
        #expect(jobs["app"]?["status"] as? String == "skipped")
        #expect(jobs["app"]?["reason"] as? String == "no changes since \(forkPoint.prefix(10))")
        // Skipped for no changes counts as passed: what needs it runs.
        #expect(jobs["after"]?["status"] as? String == "passed")
        #expect(!repo.ran("app", at: docsOnly) && repo.ran("after", at: docsOnly))
        #expect(try repo.noted(docsOnly)["app"]?["reason"] as? String == "no changes since \(forkPoint.prefix(10))")
        let status = try GitciBinary.run(["status", docsOnly], in: repo.git.path)
        #expect(status.stdout.contains("skipped") && status.stdout.contains("no changes since \(forkPoint.prefix(10))"), "\(status.stdout)")

        try repo.git.commit(["src/feature.py": "print(4)\n"])
        #expect(repo.statuses(try repo.run()) == ["app": "passed", "after": "passed"])
    }

    @Test func laterPushesOfABranchCompareWithItsLastPassedCommit() throws {
        let repo = try Repo(pipeline: Self.changesPipeline)
        try repo.git.git(["checkout", "-q", "-b", "feature"])
        try repo.git.commit(["src/feature.py": "print(1)\n"])
        #expect(repo.statuses(try repo.run()) == ["app": "passed", "after": "passed"])
        let passed = try repo.head()
        try repo.git.commit(["docs/feature.md": "# feature\n"])
        let jobs = try repo.run()
        #expect(jobs["app"]?["reason"] as? String == "no changes since \(passed.prefix(10))")

        // --no-cache runs it all the same.
        #expect(repo.statuses(try repo.run(["--no-cache"])) == ["app": "passed", "after": "passed"])
    }

    @Test func changesBaseNamesWhatToCompareWith() throws {
        let repo = try Repo(pipeline: Self.changesPipeline.replacingOccurrences(of: "changes: [\"src/**\"]",
                                                                               with: "changes: [\"src/**\"]\n    changes_base: stable"))
        let stable = try repo.head()
        try repo.git.git(["branch", "stable"])
        try repo.git.commit(["src/app.py": "print(5)\n"])
        try repo.git.commit(["docs/index.md": "# later\n"])
        // On main, the last passed commit would be the parent (docs only): stable says otherwise.
        #expect(repo.statuses(try repo.run()) == ["app": "passed", "after": "passed"])
        try repo.git.git(["checkout", "-q", "-b", "topic", "stable"])
        try repo.git.commit(["docs/topic.md": "# topic\n"])
        let jobs = try repo.run()
        #expect(jobs["app"]?["reason"] as? String == "no changes since \(stable.prefix(10))")
    }

    @Test func withNoBaseAtAllTheJobRunsAndItsLogSaysWhy() throws {
        let repo = try Repo(pipeline: Self.changesPipeline)
        let jobs = try repo.run()
        #expect(jobs["app"]?["status"] as? String == "passed")
        let log = try String(contentsOfFile: jobs["app"]?["log"] as? String ?? "", encoding: .utf8)
        #expect(log.contains("changes:") && log.contains("no parent"), "\(log)")
    }
}
