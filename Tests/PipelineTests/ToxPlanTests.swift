import Pipeline
import Testing

/// `from: tox`: one planned job per environment of the project's tox configuration.
@Suite struct ToxPlanTests {
    static let pipeline = """
        stages: [lint, test, report]
        env:
          FORCE_COLOR: "1"
        jobs:
          lint:
            stage: lint
            steps: [ruff check .]
          tox:
            stage: test
            from: tox
            needs: [lint]
            env:
              PIP_CACHE_DIR: .cache/pip
            labels: [python]
            timeout: 20m
          report:
            stage: report
            needs: [tox]
            steps: [echo done]
        """

    static let toxIni = """
        [tox]
        envlist = py3{11,12}-django{42,50}, docs
        """

    func toxPlan(_ yaml: String = pipeline, _ tox: ToxInput = .file(name: "tox.ini", text: toxIni)) throws(ConfigError) -> Plan {
        try Plan(parse(yaml), tox: tox)
    }

    @Test func eachEnvironmentIsAJobRunningToxForIt() throws {
        let plan = try toxPlan()
        #expect(plan.jobs.map(\.name) == [
            "lint",
            "tox (env=py311-django42)", "tox (env=py311-django50)", "tox (env=py312-django42)", "tox (env=py312-django50)",
            "tox (env=docs)",
            "report",
        ])
        let job = try #require(plan.job(named: "tox (env=py312-django50)"))
        #expect(job.baseName == "tox")
        #expect(describe(job.steps) == [#"tox -e py312-django50 | tox -e "$GITCI_TOX_ENV" | -"#])
        #expect(job.environment == [
            EnvironmentVariable(name: "FORCE_COLOR", value: "1"),
            EnvironmentVariable(name: "PIP_CACHE_DIR", value: ".cache/pip"),
            EnvironmentVariable(name: "GITCI_TOX_ENV", value: "py312-django50"),
        ])
        #expect(job.stage == "test" && job.labels == ["python"] && job.timeout == Seconds(1200))
        #expect(job.dependencies == ["lint"])
        // `needs: [tox]` waits for every environment.
        #expect(plan.job(named: "report")?.dependencies == plan.jobs.filter { $0.baseName == "tox" }.map(\.name))
    }

    @Test func theJobsOwnStepsRunBeforeTox() throws {
        let yaml = """
            jobs:
              tox:
                from: tox
                steps: [pip install tox]
            """
        let plan = try toxPlan(yaml, .file(name: "tox.toml", text: #"env_list = ["3.13", "lint"]"#))
        #expect(plan.jobs.map(\.name) == ["tox (env=3.13)", "tox (env=lint)"])
        #expect(plan.jobs[1].steps.map(\.name) == ["pip install tox", "tox -e lint"])
    }

    @Test func aMatrixAndToxMultiply() throws {
        let yaml = """
            jobs:
              t:
                from: tox
                matrix:
                  os: [linux, mac]
            """
        let plan = try toxPlan(yaml, .file(name: "tox.ini", text: "[tox]\nenv_list = a, b\n"))
        #expect(plan.jobs.map(\.name) == ["t (os=linux, env=a)", "t (os=linux, env=b)", "t (os=mac, env=a)", "t (os=mac, env=b)"])
    }

    @Test func eachEnvironmentHasItsOwnCacheKey() throws {
        let texts = try toxPlan().jobs.filter { $0.baseName == "tox" }.map(JobDefinition.canonicalText(of:))
        #expect(Set(texts).count == 5)
        #expect(texts.allSatisfy { $0.contains("GITCI_TOX_ENV") })
    }

    @Test func withoutTheToxFileReadItIsOneJobRunningTox() throws {
        let plan = try toxPlan(Self.pipeline, .unread)
        #expect(plan.jobs.map(\.name) == ["lint", "tox", "report"])
        #expect(plan.job(named: "tox")?.steps.map(\.run) == ["tox"])
    }

    @Test func aMissingOrBrokenToxFileIsAConfigErrorNamingIt() throws {
        func message(_ tox: ToxInput) throws -> String {
            let error = try #require(throws: ConfigError.self) { try toxPlan(Self.pipeline, tox) }
            return error.description
        }
        #expect(try message(.absent) == ".gitci.yml:10:11: job 'tox' has `from: tox`, but there is no tox configuration (tox.ini, setup.cfg with [tox:tox], pyproject.toml with [tool.tox], or tox.toml)")
        #expect(try message(.file(name: "tox.ini", text: "[tox]\nenvlist = a b\n")).hasSuffix("job 'tox' has `from: tox`, but tox.ini:2: env_list: 'a b' is not a valid tox environment name"))
        #expect(try message(.file(name: "pyproject.toml", text: "[tool.tox]\nenv_list = [\n")).contains("but pyproject.toml:"))
        #expect(try message(.file(name: "tox.ini", text: "[tox]\nskipsdist = true\n")).hasSuffix("but tox.ini lists no environments (env_list)"))
        #expect(try message(.file(name: "tox.toml", text: #"env_list = ["a\u0007"]"#)).contains("cannot be part of a job name"))
    }
}
