import Pipeline
import Testing

/// The plan: which jobs wait for which, and what `gitci run JOB…` selects.
@Suite struct PlanTests {
    static let stagesAndNeeds = """
        stages: [build, test, deploy]
        jobs:
          compile: { stage: build, steps: [make] }
          docs: { stage: build, steps: [make docs] }
          unit: { stage: test, steps: [make check] }
          integration: { stage: test, needs: [compile], steps: [make it] }
          smoke: { stage: test, needs: [], steps: [./smoke] }
          ship: { stage: deploy, steps: [./ship] }
        """

    @Test func withoutNeedsAJobWaitsForEveryJobOfTheEarlierStages() throws {
        let plan = try plan(Self.stagesAndNeeds)
        #expect(dependencyLines(plan) == [
            "compile <- ",
            "docs <- ",
            "unit <- compile, docs",
            "integration <- compile",
            "smoke <- ",
            "ship <- compile, docs, unit, integration, smoke",
        ])
        #expect(plan.jobs.map(\.stageIndex) == [0, 0, 1, 1, 1, 2])
        #expect(plan.job(named: "integration")?.needs == ["compile"])
        #expect(plan.job(named: "smoke")?.needs == [], "an empty needs list means: start at once")
        #expect(plan.job(named: "unit")?.needs == nil)
    }

    @Test func jobsKeepFileOrderWhateverTheirStage() throws {
        let plan = try plan("""
            jobs:
              late: { stage: deploy, steps: [x] }
              early: { stage: build, steps: [x] }
            """)
        #expect(dependencyLines(plan) == ["late <- early", "early <- "])
        #expect(plan.stages == ["build", "test", "deploy"])
    }

    @Test func aJobMayNeedAJobOfALaterStage() throws {
        let plan = try plan("""
            jobs:
              a: { stage: build, needs: [b], steps: [x] }
              b: { stage: deploy, needs: [], steps: [x] }
            """)
        #expect(dependencyLines(plan) == ["a <- b", "b <- "])
    }

    @Test func needsOfAMatrixJobMeanEveryCombinationOrTheOneNamed() throws {
        let plan = try plan("""
            jobs:
              test:
                matrix: { python: ["3.11", "3.12"] }
                steps: [x]
              report:
                stage: deploy
                needs: [test, test]
                steps: [x]
              wheel:
                stage: deploy
                needs: ["test (python=3.12)"]
                steps: [x]
            """)
        #expect(dependencyLines(plan) == [
            "test (python=3.11) <- ",
            "test (python=3.12) <- ",
            "report <- test (python=3.11), test (python=3.12)",
            "wheel <- test (python=3.12)",
        ])
    }

    @Test func plannedJobsCarryWhatTheRunnerNeeds() throws {
        let plan = try plan("""
            interruptible: true
            jobs:
              a:
                labels: [linux, py312]
                timeout: 90s
                allow_failure: true
                interruptible: false
                when: { branch: [main] }
                steps: [x]
              b:
                steps: [x]
            """)
        let a = try #require(plan.job(named: "a"))
        #expect(a.labels == ["linux", "py312"])
        #expect(a.timeout == Seconds(90))
        #expect(a.allowFailure)
        #expect(!a.interruptible, "the job's own setting wins")
        #expect(a.onlyBranches == ["main"])
        #expect(a.id == "a")
        #expect(plan.job(named: "b")?.interruptible == true, "the pipeline's setting is the default")
        #expect(plan.job(named: "c") == nil)
    }

    @Test func aPipelineOfMoreThan1000JobsIsRefused() {
        let sixteen = (1...16).map(String.init).joined(separator: ", ")
        let jobs = (1...5).map { "  j\($0):\n    matrix: { a: [\(sixteen)], b: [\(sixteen)] }\n    steps: [x]\n" }.joined()
        #expect(problems("jobs:\n" + jobs) == [".gitci.yml:1:1: the pipeline expands to 1280 jobs; the limit is 1000"])
    }

    // MARK: - Selecting jobs (`gitci run JOB…`)

    static let selectable = """
        jobs:
          a: { steps: [x] }
          b: { needs: [a], steps: [x] }
          c: { needs: [b], steps: [x] }
          d: { stage: deploy, steps: [x] }
          m:
            needs: [a]
            matrix: { python: ["3.11", "3.12"] }
            steps: [x]
        """

    @Test func selectingAJobAddsWhatItNeedsTransitively() throws {
        let selected = try plan(Self.selectable).selecting(["c"])
        #expect(dependencyLines(selected) == ["a <- ", "b <- a", "c <- b"])
    }

    @Test func selectingAJobWithoutNeedsRunsItAlone() throws {
        let selected = try plan(Self.selectable).selecting(["d"])
        #expect(dependencyLines(selected) == ["d <- "], "stage order only orders the jobs selected")
    }

    @Test func selectedJobsStillFollowStageOrderAmongThemselves() throws {
        let selected = try plan(Self.selectable).selecting(["d", "a"])
        #expect(dependencyLines(selected) == ["a <- ", "d <- a"])
    }

    @Test func selectingAMatrixJobSelectsEveryCombinationOrTheOneNamed() throws {
        let plan = try plan(Self.selectable)
        #expect(dependencyLines(try plan.selecting(["m"])) == [
            "a <- ", "m (python=3.11) <- a", "m (python=3.12) <- a",
        ])
        #expect(dependencyLines(try plan.selecting(["m (python=3.12)"])) == ["a <- ", "m (python=3.12) <- a"])
    }

    @Test func selectingTheSameJobTwiceKeepsItOnce() throws {
        let selected = try plan(Self.selectable).selecting(["c", "b", "c"])
        #expect(selected.jobs.map(\.name) == ["a", "b", "c"])
    }

    @Test func selectingNothingKeepsTheWholePlan() throws {
        let plan = try plan(Self.selectable)
        #expect(dependencyLines(try plan.selecting([])) == dependencyLines(plan))
    }

    @Test func selectingUnknownJobsNamesThemAllAndListsTheJobs() throws {
        let error = try #require(throws: UnknownJobsError.self) {
            try plan(Self.selectable).selecting(["nope", "c", "mm"])
        }
        #expect(error.names == ["nope", "mm"])
        #expect(error.description == """
            no job named 'nope' in the pipeline
            no job named 'mm' in the pipeline; did you mean 'm'?
            jobs: a, b, c, d, m
            """)
    }
}
