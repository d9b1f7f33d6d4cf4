import Pipeline
import Testing

/// What a valid pipeline file turns into: every key of the documented `.gitci.yml`.
@Suite struct ConfigParsingTests {
    /// The example pipeline of DESIGN.md, verbatim.
    static let designExample = """
        stages: [check, test, package, deploy]   # run in order; a failed stage stops the later ones
        branches:                                # which branches get plan branches (default: all)
          include: ["main", "feature/*"]
          exclude: ["wip/*"]
        env: { PYTHONDONTWRITEBYTECODE: "1" }
        jobs:
          lint:
            stage: check
            steps: [ruff check .]
          test:
            stage: test
            matrix:                              # one job per combination; values reach steps as env vars
              python: ["3.11", "3.12"]
              exclude: [{ python: "3.11" }]      # (and include:)
            labels: [linux]                      # which nodes may run it
            needs: [lint]                        # DAG edge; a job may start as soon as its needs pass
            inputs: [src/, tests/, pyproject.toml] # cache key = tree ids of these paths (default: whole tree)
            changes: [src/**]                    # run only when these paths changed since the plan's last pass
            repos:                               # one job, several repositories
              - { url: ../shared-lib.git, ref: main, path: vendor/shared-lib }
            steps:
              - pip install -e .
              - { name: unit tests, run: "pytest --junitxml=report.xml", timeout: 10m }
            junit: [report.xml]                  # test results sent back to the server
            artifacts: [dist/*.whl, docs/_build/html/**]
            timeout: 30m
          tox:
            stage: test
            from: tox                            # one job per env of tox.ini's envlist, read at the commit
          deploy:
            stage: deploy
            when: { branch: [main] }             # deployment steps only where they belong
            secrets: [PYPI_TOKEN]                # from the server's secret store; masked in logs
            steps: [./deploy.sh]

        """

    @Test func readsTheDesignExampleCompletely() throws {
        let config = try parse(Self.designExample)
        #expect(config.stages.map(\.value) == ["check", "test", "package", "deploy"])
        #expect(config.branches == BranchFilter(include: ["main", "feature/*"], exclude: ["wip/*"]))
        #expect(config.env == [EnvironmentVariable(name: "PYTHONDONTWRITEBYTECODE", value: "1")])
        #expect(config.jobs.map(\.name.value) == ["lint", "test", "tox", "deploy"])

        let lint = config.jobs[0]
        #expect(lint.stage.value == "check")
        #expect(describe(lint.steps) == ["ruff check . | ruff check . | -"])
        #expect(lint.needs == nil)

        let test = config.jobs[1]
        #expect(test.stage.value == "test")
        #expect(test.labels == ["linux"])
        #expect(test.needs?.map(\.value) == ["lint"])
        #expect(test.inputs == ["src/", "tests/", "pyproject.toml"])
        #expect(test.changes == ["src/**"])
        #expect(describe(test.repos) == ["../shared-lib.git @ main -> vendor/shared-lib"])
        #expect(describe(test.steps) == [
            "pip install -e . | pip install -e . | -",
            "unit tests | pytest --junitxml=report.xml | 10m",
        ])
        #expect(test.junit == ["report.xml"])
        #expect(test.artifacts == ["dist/*.whl", "docs/_build/html/**"])
        #expect(test.timeout == Seconds(1800))
        let matrix = try #require(test.matrix)
        #expect(matrix.axes.map(\.name.value) == ["python"])
        #expect(matrix.axes.map(\.values) == [["3.11", "3.12"]])
        #expect(matrix.exclude.map { $0.map { "\($0.key)=\($0.value)" } } == [["python=3.11"]])

        let tox = config.jobs[2]
        #expect(tox.from?.value == "tox")
        #expect(tox.steps.isEmpty)

        let deploy = config.jobs[3]
        #expect(deploy.onlyBranches == ["main"])
        #expect(deploy.secrets == ["PYPI_TOKEN"])
        #expect(deploy.steps.map(\.run) == ["./deploy.sh"])
    }

    @Test func plansTheDesignExample() throws {
        let plan = try plan(Self.designExample)
        #expect(plan.stages == ["check", "test", "package", "deploy"])
        #expect(dependencyLines(plan) == [
            "lint <- ",
            "test (python=3.12) <- lint",
            "tox <- lint",
            "deploy <- lint, test (python=3.12), tox",
        ])
        let tox = try #require(plan.job(named: "tox"))
        #expect(tox.steps.map(\.run) == ["tox"], "a `from: tox` job without steps runs tox itself")
        let deploy = try #require(plan.job(named: "deploy"))
        #expect(deploy.runs(for: .branch("main")))
        #expect(!deploy.runs(for: .branch("feature/x")))
        #expect(!deploy.runs(for: .detached), "a detached commit is on no branch")
        #expect(plan.job(named: "lint")?.runs(for: .detached) == true)
    }

    // MARK: - Defaults

    @Test func aMinimalFileGetsTheDefaults() throws {
        let plan = try plan("jobs:\n  a:\n    steps: [make]\n")
        #expect(plan.stages == ["build", "test", "deploy"])
        let job = try #require(plan.jobs.first)
        #expect(job.name == "a")
        #expect(job.stage == "test")
        #expect(job.timeout == Seconds(3600))
        #expect(job.allowFailure == false)
        #expect(job.interruptible == false)
        #expect(job.labels.isEmpty)
        #expect(job.onlyBranches == nil)
        #expect(job.matrix.isEmpty)
        #expect(job.needs == nil)
        #expect(plan.config.branches.admits("anything/at-all"))
    }

    // MARK: - Steps

    @Test func stepsMayBeOneStringAListOfStringsOrMappings() throws {
        let config = try parse("""
            jobs:
              one:
                steps: make check
              many:
                steps:
                  - make
                  - { run: make install }
                  - name: docs
                    run: make docs
                    timeout: 1h30m
            """)
        #expect(describe(config.jobs[0].steps) == ["make check | make check | -"])
        #expect(describe(config.jobs[1].steps) == [
            "make | make | -",
            "make install | make install | -",
            "docs | make docs | 1h30m",
        ])
    }

    @Test func aStepWithoutANameIsShownByItsFirstLineShortened() throws {
        let long = String(repeating: "x", count: 80)
        let config = try parse("""
            jobs:
              a:
                steps:
                  - |
                    ./configure --prefix=/usr
                    make
                  - \(long)
            """)
        let steps = config.jobs[0].steps
        #expect(steps[0].name == "./configure --prefix=/usr")
        #expect(steps[0].run == "./configure --prefix=/usr\nmake\n", "the command itself is kept whole")
        #expect(steps[1].name == String(repeating: "x", count: 60) + "…")
        #expect(steps[1].run == long)
    }

    @Test func commandsAreKeptAsWrittenWithoutSubstitution() throws {
        let config = try parse(#"jobs: {a: {steps: ["echo $GITCI_BRANCH ${python} `id` 'q' \"dq\""]}}"#)
        #expect(config.jobs[0].steps[0].run == #"echo $GITCI_BRANCH ${python} `id` 'q' "dq""#)
    }

    // MARK: - Values

    @Test func scalarsKeepTheTextAsWritten() throws {
        // YAML would read 3.10 as the number 3.1 and `on` as true; a pipeline means the text.
        let config = try parse("""
            env: { PY: 3.10, FLAG: on, COUNT: 010, EMPTY: "", NOTHING: }
            jobs:
              a:
                steps: [true]
                labels: [3.10, yes]
            """)
        #expect(config.env == [
            EnvironmentVariable(name: "PY", value: "3.10"),
            EnvironmentVariable(name: "FLAG", value: "on"),
            EnvironmentVariable(name: "COUNT", value: "010"),
            EnvironmentVariable(name: "EMPTY", value: ""),
            EnvironmentVariable(name: "NOTHING", value: ""),
        ])
        #expect(config.jobs[0].labels == ["3.10", "yes"])
        #expect(config.jobs[0].steps[0].run == "true")
    }

    @Test(arguments: [("true", true), ("yes", true), ("on", true), ("false", false), ("no", false), ("off", false)])
    func allowFailureAcceptsTheUsualBooleans(text: String, expected: Bool) throws {
        let plan = try plan("jobs:\n  a:\n    allow_failure: \(text)\n    steps: [x]\n")
        #expect(plan.jobs[0].allowFailure == expected)
    }

    @Test func environmentIsThePipelineEnvThenTheJobEnvInOrder() throws {
        let plan = try plan("""
            env: { A: "1", B: "2" }
            jobs:
              a:
                env: { B: "3", C: "4" }
                steps: [x]
            """)
        #expect(plan.jobs[0].environment.map { "\($0.name)=\($0.value)" } == ["A=1", "B=2", "B=3", "C=4"])
    }

    @Test func aSingleTextIsAListOfOne() throws {
        let config = try parse("""
            stages: check
            jobs:
              a:
                stage: check
                needs: b
                labels: linux
                steps: [x]
              b:
                stage: check
                steps: [x]
            """)
        #expect(config.stages.map(\.value) == ["check"])
        #expect(config.jobs[0].needs?.map(\.value) == ["b"])
        #expect(config.jobs[0].labels == ["linux"])
    }

    @Test func whenBranchTakesPatterns() throws {
        let plan = try plan("jobs:\n  a:\n    when: { branch: [main, release/*] }\n    steps: [x]\n")
        let job = plan.jobs[0]
        #expect(job.onlyBranches == ["main", "release/*"])
        #expect(job.runs(for: .branch("main")))
        #expect(job.runs(for: .branch("release/2.0")))
        #expect(!job.runs(for: .branch("release/2.0/hotfix")))
        #expect(!job.runs(for: .branch("mainline")))
    }

    @Test func whenTagTakesPatternsAndWhenBranchAloneNeverRunsForATag() throws {
        let plan = try plan("""
            jobs:
              deploy:
                when: { branch: [main] }
                steps: [x]
              release:
                when: { tag: ["v*"] }
                steps: [x]
              both:
                when: { branch: [main], tag: ["v*"] }
                steps: [x]
              always:
                steps: [x]
            """)
        func runs(_ target: BuildTarget) -> [String] { plan.jobs.filter { $0.runs(for: target) }.map(\.name) }
        #expect(runs(.branch("main")) == ["deploy", "both", "always"])
        #expect(runs(.tag("v1.0")) == ["release", "both", "always"])
        #expect(runs(.tag("nightly")) == ["always"])
        #expect(runs(.detached) == ["always"])
        #expect(plan.job(named: "deploy")?.exclusionReason(for: .tag("v1.0")) == "not run on tag 'v1.0' (when: tag)")
        #expect(BuildTarget(ref: "refs/tags/v1.0") == .tag("v1.0"))
        #expect(BuildTarget(ref: "refs/heads/feature/x") == .branch("feature/x"))
        #expect(BuildTarget(ref: "refs/notes/gitci") == .detached)
    }

    @Test func branchesMayBeAListOrIncludeAndExclude() throws {
        let list = try parse("branches: [main, \"feature/*\"]\njobs: {a: {steps: [x]}}\n")
        #expect(list.branches == BranchFilter(include: ["main", "feature/*"]))
        let filter = try parse("branches: { exclude: [\"wip/*\"] }\njobs: {a: {steps: [x]}}\n")
        #expect(filter.branches == BranchFilter(include: nil, exclude: ["wip/*"]))
        #expect(filter.branches.admits("main"))
        #expect(!filter.branches.admits("wip/idea"))
    }

    @Test func reposDefaultToHEADAndAPathNamedAfterTheRepository() throws {
        let config = try parse("""
            jobs:
              a:
                steps: [x]
                repos:
                  - { url: "https://example.com/org/tools.git" }
                  - { url: ../docs, ref: v2 }
            """)
        #expect(describe(config.jobs[0].repos) == [
            "https://example.com/org/tools.git @ HEAD -> tools",
            "../docs @ v2 -> docs",
        ])
    }

    @Test func inputsAndChangesDistinguishAbsentFromEmpty() throws {
        let config = try parse("jobs:\n  a:\n    steps: [x]\n  b:\n    steps: [x]\n    inputs: []\n    changes: []\n")
        #expect(config.jobs[0].inputs == nil, "no inputs: the whole tree is the cache key")
        #expect(config.jobs[0].changes == nil)
        #expect(config.jobs[1].inputs == [])
        #expect(config.jobs[1].changes == [])
    }

    // MARK: - Anchors, aliases and templates

    @Test func dotJobsAreTemplatesAndMergeKeysApplyThem() throws {
        let plan = try plan("""
            jobs:
              .defaults: &defaults
                timeout: 5m
                labels: [linux]
                steps: [make]
              a:
                <<: *defaults
              b:
                <<: *defaults
                labels: [mac]
              c:
                labels: &l [x]
                steps: *l
            """)
        #expect(plan.jobs.map(\.name) == ["a", "b", "c"], "templates never run")
        #expect(plan.jobs[0].timeout == Seconds(300))
        #expect(plan.jobs[0].labels == ["linux"])
        #expect(plan.jobs[0].steps.map(\.run) == ["make"])
        #expect(plan.jobs[1].labels == ["mac"], "keys written in the job win over merged ones")
        #expect(plan.jobs[2].steps.map(\.run) == ["x"])
    }

    @Test func aByteOrderMarkIsNotPartOfTheFile() throws {
        let config = try parse("\u{FEFF}stages: [a]\njobs:\n  j: {stage: a, steps: [x]}\n")
        #expect(config.stages.map(\.value) == ["a"])
        #expect(config.jobs.map(\.name.value) == ["j"])
    }

    @Test func theFileNameIsTheOneGiven() throws {
        let error = try #require(throws: ConfigError.self) {
            try PipelineConfig.parse(Array("jobs:\n  a: {stepz: [x], steps: [x]}\n".utf8), file: "ci/pipeline.yml")
        }
        #expect(error.diagnostics.map(\.file) == ["ci/pipeline.yml"])
        #expect(error.description == "ci/pipeline.yml:2:7: unknown key 'stepz' in job 'a'; did you mean 'steps'?")
    }
}
