import Foundation
import Testing
import TestSupport

/// `gitci run` as a user runs it: the built binary in a real repository, judged by its exit
/// status, its output and the files it says it wrote.
@Suite struct RunCommandTests {
    static let pipeline = """
        stages: [build, test]
        jobs:
          compile:
            stage: build
            steps:
              - echo compiled > out.txt
              - cat out.txt
          unit:
            stage: test
            steps: ["echo unit tests ran"]
        """

    static let failing = """
        stages: [build, test]
        jobs:
          compile:
            stage: build
            steps: ["echo about to fail", "exit 2"]
          lint:
            stage: build
            steps: ["true"]
          unit:
            stage: test
            steps: ["echo never"]
        """

    // MARK: - Exit status and output

    @Test func aPassingRunExitsZeroAndItsLogsAreWherePrinted() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let result = try GitciBinary.run(["run"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("pipeline passed"))
        let logsLine = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("logs: ") })
        let logs = String(logsLine.dropFirst("logs: ".count))
        let files = try FileManager.default.contentsOfDirectory(atPath: logs).filter { $0.hasSuffix(".log") }
        #expect(files.count == 2)
        // Every log path the summary names exists and holds that job's output.
        let printed = result.stdout.split(whereSeparator: \.isWhitespace).map(String.init).filter { $0.hasPrefix(logs + "/") }
        #expect(printed.count == 2)
        let contents = try printed.map { try String(contentsOfFile: $0, encoding: .utf8) }
        #expect(contents.contains { $0.contains("compiled") })
        #expect(contents.contains { $0.contains("unit tests ran") })
    }

    @Test func aFailingRunExitsOne() throws {
        let repo = try repository(pipeline: Self.failing)
        let result = try GitciBinary.run(["run"], in: repo.path)
        #expect(result.status == 1)
        #expect(result.stdout.contains("pipeline failed"))
        #expect(result.stdout.contains("step 'exit 2' failed (exit status 2)"))
    }

    @Test func jsonIsTheOnlyThingOnStandardOutput() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let result = try GitciBinary.run(["run", "--json", "--jobs", "1"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        let document = try jsonObject(result.stdout)
        #expect(document["commit"] as? String == (try repo.git(["rev-parse", "HEAD"])))
        #expect(document["status"] as? String == "passed")
        let jobs = try #require(document["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["name"] as? String } == ["compile", "unit"])
        for job in jobs {
            for key in ["name", "status", "exit_code", "duration_ms", "log"] {
                #expect(job[key] != nil, "job \(job["name"] ?? "?") lacks '\(key)'")
            }
            #expect(job["status"] as? String == "passed")
            #expect(job["exit_code"] as? Int == 0)
            #expect(job["duration_ms"] is Int)
            let log = try #require(job["log"] as? String)
            #expect(FileManager.default.fileExists(atPath: log))
        }
    }

    @Test func jsonReportsFailedAndSkippedJobs() throws {
        let repo = try repository(pipeline: Self.failing)
        let result = try GitciBinary.run(["run", "--json"], in: repo.path)
        #expect(result.status == 1)
        let document = try jsonObject(result.stdout)
        #expect(document["status"] as? String == "failed")
        let jobs = jobsByName(document)
        #expect(jobs["compile"]?["status"] as? String == "failed")
        #expect(jobs["compile"]?["exit_code"] as? Int == 2)
        let log = try #require(jobs["compile"]?["log"] as? String)
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("about to fail"))
        #expect(jobs["lint"]?["status"] as? String == "passed")
        #expect(jobs["unit"]?["status"] as? String == "skipped")
        #expect(jobs["unit"]?["exit_code"] is NSNull)
    }

    // MARK: - What runs

    @Test func commitRunsThatCommitNotTheWorkingTree() throws {
        let repo = try repository(pipeline: """
            jobs:
              show:
                steps: ["cat data.txt", "test ! -e untracked.txt"]
            """, files: ["data.txt": "committed content\n"])
        let commit = try repo.git(["rev-parse", "HEAD"])
        try repo.write("data.txt", "uncommitted content\n")
        try repo.write("untracked.txt", "new\n")
        try repo.write(".gitci.yml", "jobs:\n  other:\n    steps: [\"false\"]\n")

        let result = try GitciBinary.run(["run", "--commit", "HEAD", "--json"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        let document = try jsonObject(result.stdout)
        #expect(document["commit"] as? String == commit)
        let show = try #require(jobsByName(document)["show"])
        let log = try String(contentsOfFile: try #require(show["log"] as? String), encoding: .utf8)
        #expect(log.contains("committed content"))
        #expect(!log.contains("uncommitted content"))

        // The working tree (with its own pipeline) is what a plain `gitci run` takes.
        let workingTree = try GitciBinary.run(["run", "--json"], in: repo.path)
        #expect(workingTree.status == 1)
        #expect(jobsByName(try jsonObject(workingTree.stdout)).keys.sorted() == ["other"])
    }

    @Test func namedJobsRunWithWhatTheyNeedOnly() throws {
        let repo = try repository(pipeline: """
            stages: [build, test, deploy]
            jobs:
              compile:
                stage: build
                steps: ["true"]
              docs:
                stage: build
                steps: ["true"]
              unit:
                stage: test
                needs: [compile]
                steps: ["true"]
              lint:
                stage: test
                steps: ["true"]
              ship:
                stage: deploy
                steps: ["true"]
            """)
        let result = try GitciBinary.run(["run", "unit", "--json"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        let jobs = try #require(jsonObject(result.stdout)["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["name"] as? String } == ["compile", "unit"])
        #expect(jobs.allSatisfy { $0["status"] as? String == "passed" })

        let two = try GitciBinary.run(["run", "ship", "docs", "--json"], in: repo.path)
        #expect(two.status == 0)
        #expect(jobsByName(try jsonObject(two.stdout)).keys.sorted() == ["docs", "ship"])
    }

    @Test func runWorksFromASubfolder() throws {
        let repo = try repository(pipeline: "jobs:\n  top:\n    steps: [\"test -e marker.txt\"]\n",
                                  files: ["marker.txt": "at the top\n", "sub/dir/file.txt": "x\n"])
        let result = try GitciBinary.run(["run"], in: repo.directory.url("sub/dir"))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    // MARK: - Errors

    @Test func anUnknownJobIsAUsageError() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let result = try GitciBinary.run(["run", "units"], in: repo.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no job named 'units'"))
        #expect(result.stderr.contains("did you mean 'unit'?"))
        #expect(result.stdout.isEmpty)
    }

    @Test func outsideARepositoryIsAClearError() throws {
        let folder = TemporaryDirectory("gitci-not-a-repo")
        for arguments in [["run"], ["run", "--json"], ["validate"]] {
            let result = try GitciBinary.run(arguments, in: folder.path)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("not a git repository"), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
    }

    @Test func aRepositoryWithoutAPipelineIsAClearError() throws {
        let repo = try GitFixture(files: ["README": "no pipeline here\n"])
        let result = try GitciBinary.run(["run"], in: repo.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no .gitci.yml"))
        #expect(result.stderr.contains("gitci init"))

        let atCommit = try GitciBinary.run(["run", "--commit", "HEAD"], in: repo.path)
        #expect(atCommit.status == 2)
        #expect(atCommit.stderr.contains("no .gitci.yml in commit"))
    }

    @Test func anInvalidPipelineIsAConfigurationError() throws {
        let repo = try repository(pipeline: """
            jobs:
              build:
                stage: nowhere
                steps: [make]
            """)
        let result = try GitciBinary.run(["run"], in: repo.path)
        #expect(result.status == 2)
        let diagnostics = configDiagnostics(result.stderr)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.line == 3)
        #expect(diagnostics.first?.column == 12)

        let json = try GitciBinary.run(["run", "--json"], in: repo.path)
        #expect(json.status == 2)
        #expect(try jsonObject(json.stdout)["status"] as? String == "config-error")
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let repo = try repository(pipeline: Self.pipeline)
        for arguments in [["run", "--jobs", "0"], ["run", "--commit", "no-such-rev"], ["run", "--no-such-flag"]] {
            let result = try GitciBinary.run(arguments, in: repo.path)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty, "\(arguments)")
        }
        #expect(try GitciBinary.run(["run", "--commit", "no-such-rev"], in: repo.path).stderr.contains("unknown revision 'no-such-rev'"))
    }

    // MARK: - The environment steps get

    @Test func gitVariablesOfTheCallerDoNotReachSteps() throws {
        let repo = try repository(pipeline: """
            jobs:
              env:
                steps: ["env | grep '^GIT_' || true", "echo GITCI_JOB=$GITCI_JOB"]
            """)
        // What a hook sees: GIT_DIR and friends pointing at the server repository.
        let result = try GitciBinary.run(["run", "--json"], in: repo.path, environment: [
            "GIT_DIR": repo.directory.url(".git"), "GIT_WORK_TREE": "/", "GIT_INDEX_FILE": "/tmp/no-index",
            "GIT_QUARANTINE_PATH": "/tmp/quarantine",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let job = try #require(jobsByName(try jsonObject(result.stdout))["env"])
        let log = try String(contentsOfFile: try #require(job["log"] as? String), encoding: .utf8)
        let outputLines = log.split(separator: "\n").filter { !$0.hasPrefix("==>") && !$0.hasPrefix("gitci:") }
        #expect(!outputLines.contains { $0.hasPrefix("GIT_") }, "\(log)")
        #expect(log.contains("GITCI_JOB=env"))
    }

    // MARK: - Ctrl-C

    @Test func anInterruptStopsRunningStepsAndReportsCancelled() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let started = TemporaryDirectory("gitci-started")
        let repo = try repository(pipeline: """
            stages: [one, two]
            jobs:
              long:
                stage: one
                steps: ["touch \(started.url("long")); sh -c 'sleep \(marker) & sleep \(marker)'"]
              next:
                stage: two
                steps: ["touch \(started.url("next"))"]
            """)
        let gitci = try RunningGitci(["run", "--json"], in: repo.path)
        #expect(await Poll.untilExists(started.url("long")))
        #expect(await Poll.until { !ProcessTable.processes(containing: "sleep \(marker)").isEmpty })
        gitci.signal(SIGINT)
        #expect(await gitci.waitForExit() == RunningGitci.Exit(status: 1, signaled: false))
        #expect(gitci.stderr.contains("interrupted"))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
        let document = try jsonObject(gitci.stdout)
        #expect(document["status"] as? String == "cancelled")
        #expect(jobsByName(document)["long"]?["status"] as? String == "cancelled")
        #expect(jobsByName(document)["next"]?["status"] as? String != "passed")
        #expect(!FileManager.default.fileExists(atPath: started.url("next")))
    }
}
