import Pipeline
import Testing

/// `python:` and `install:`: a list of versions is a matrix axis, one version is not; what is
/// wrong is reported with its line and column.
@Suite struct PythonConfigTests {
    @Test func aListOfVersionsIsAMatrixAxisCombinedWithTheOthers() throws {
        let plan = try plan("""
            jobs:
              test:
                python: ["3.11", "3.12"]
                install: ["-e .[test]"]
                matrix:
                  os: [linux, mac]
                steps: [pytest]
            """)
        #expect(plan.jobs.map(\.name) == [
            "test (python=3.11, os=linux)", "test (python=3.11, os=mac)",
            "test (python=3.12, os=linux)", "test (python=3.12, os=mac)",
        ])
        #expect(plan.jobs.map(\.python) == ["3.11", "3.11", "3.12", "3.12"])
        #expect(plan.jobs.allSatisfy { $0.config.install == ["-e .[test]"] })
    }

    @Test func oneVersionIsNoAxisAndKeepsTheJobsName() throws {
        let plan = try plan("""
            jobs:
              test:
                python: 3.10
                steps: [pytest]
              plain:
                steps: [make]
            """)
        #expect(plan.jobs.map(\.name) == ["test", "plain"])
        #expect(plan.jobs.map(\.python) == ["3.10", nil])
        #expect(plan.jobs[0].matrix.isEmpty)
    }

    @Test func excludeAppliesToThePythonAxis() throws {
        let plan = try plan("""
            jobs:
              test:
                python: ["3.11", "pypy3.10", "3"]
                matrix:
                  exclude: [{python: "3"}]
                steps: [pytest]
            """)
        #expect(plan.jobs.map(\.name) == ["test (python=3.11)", "test (python=pypy3.10)"])
    }

    @Test func pythonWrittenBothWaysIsAnErrorAtTheKey() {
        let found = problems("""
            jobs:
              test:
                matrix:
                  python: ["3.11"]
                python: ["3.12"]
                steps: [pytest]
            """)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix(".gitci.yml:5:5: job 'test' names the python versions twice") == true, "\(found)")
        #expect(found.first?.contains("(line 4)") == true, "\(found)")
    }

    @Test func aValueThatIsNoVersionIsAnErrorAtItsLine() {
        let found = problems("""
            jobs:
              test:
                python: ["3.12", "3.x", "python3.11", "3.12"]
                steps: [pytest]
            """)
        #expect(found == [
            #".gitci.yml:3:22: '3.x' in 'python' of job 'test' is not a Python version; write it as "3.12", "3" or "pypy3.10""#,
            #".gitci.yml:3:29: 'python3.11' in 'python' of job 'test' is not a Python version; write it as "3.12", "3" or "pypy3.10""#,
            ".gitci.yml:3:43: version '3.12' appears twice in 'python' of job 'test'",
        ])
    }

    @Test func installWithoutPythonAndEitherWithFromToxAreErrors() {
        let found = problems("""
            jobs:
              test:
                install: ["-e ."]
                steps: [pytest]
              tox:
                from: tox
                python: "3.12"
            """)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.hasPrefix(".gitci.yml:3:5: 'install' of job 'test' needs 'python'") }, "\(found)")
        #expect(found.contains { $0.hasPrefix(".gitci.yml:7:5: 'python' of job 'tox' does not go with 'from: tox'") }, "\(found)")
    }

    @Test func pythonAndInstallAreInTheCacheKeyOfTheJobsThatHaveThem() throws {
        func text(_ install: String) throws -> String {
            JobDefinition.canonicalText(of: try plan("""
                jobs:
                  test:
                    python: "3.12"
                    install: [\(install)]
                    steps: [pytest]
                """).jobs[0])
        }
        #expect(try text(#""-e .""#) != text(#""-e .[test]""#))
        #expect(try text(#""-e .""#).contains("python 4:3.12\n"))
        let plain = JobDefinition.canonicalText(of: try plan("jobs:\n  test:\n    steps: [pytest]\n").jobs[0])
        #expect(!plain.contains("python"))
    }

    @Test func buildRequirementsComeFromPyprojectOrPipsDefault() {
        #expect(PythonProject.buildRequirements(pyproject: """
            [build-system]
            requires = ["hatchling>=1.18", 'hatch-vcs']
            build-backend = "hatchling.build"
            """) == ["hatchling>=1.18", "hatch-vcs"])
        #expect(PythonProject.buildRequirements(pyproject: "[project]\nname = 'x'\n") == PythonProject.defaultBuildRequirements)
        #expect(PythonProject.buildRequirements(pyproject: nil) == PythonProject.defaultBuildRequirements)
    }
}
