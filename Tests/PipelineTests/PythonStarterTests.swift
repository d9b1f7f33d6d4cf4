import Pipeline
import Testing

/// What `gitci init` reads from a Python project and the pipeline it writes from that.
@Suite struct PythonStarterTests {
    static func project(_ files: [String: String], folders: Set<String> = []) -> PythonProject {
        PythonProject(read: { files[$0] }, isFolder: { folders.contains($0) })
    }

    static let scmProject = """
        [build-system]
        requires = ["setuptools>=64", "setuptools-scm>=8"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "pkg"
        dynamic = ["version"]
        requires-python = ">=3.11"

        [project.optional-dependencies]
        testing = ["pytest", "coverage"]

        [tool.pytest.ini_options]
        testpaths = ["testing", "/etc", "../up", "missing", "docs; rm -rf ~"]
        """

    @Test func readsTheFactsOfASrcLayoutProject() {
        let project = Self.project(["pyproject.toml": Self.scmProject, "tox.ini": "[tox]\nenvlist = py\n"],
                                   folders: ["src", "testing", "/etc", "../up", "docs; rm -rf ~"])
        #expect(project.name == "pkg")
        #expect(project.layout == .src)
        #expect(project.testPaths == ["testing"], "only existing plain relative folders reach a command")
        #expect(project.testExtra == "testing")
        #expect(project.versionFromGit && project.buildable && project.toxConfigured)
        #expect(!project.ruffConfigured && !project.coverageConfigured)
        #expect(project.requiresPython == ">=3.11")
    }

    @Test func readsAFlatHatchVcsProject() {
        let pyproject = """
            [build-system]
            requires = ["hatchling", "hatch-vcs"]
            build-backend = "hatchling.build"
            [project]
            name = "flat"
            dynamic = ["version"]
            [tool.hatch.version]
            source = "vcs"
            [tool.ruff]
            line-length = 100
            [tool.coverage.run]
            branch = true
            """
        let project = Self.project(["pyproject.toml": pyproject, "requirements-dev.txt": "pytest\n"], folders: ["tests"])
        #expect(project.layout == .flat && project.testPaths == ["tests"])
        #expect(project.versionFromGit && project.ruffConfigured && project.coverageConfigured)
        #expect(project.testExtra == nil && project.testRequirements == "requirements-dev.txt")
    }

    @Test func aSetupCfgProjectIsRead() {
        let setupCfg = "[metadata]\nname = legacy\n[options]\npython_requires = >=3.12\n"
        let project = Self.project(["setup.cfg": setupCfg, "setup.py": "from setuptools import setup\nsetup(use_scm_version=True)\n"],
                                   folders: ["test"])
        #expect(project.name == "legacy" && project.requiresPython == ">=3.12")
        #expect(project.versionFromGit && project.buildable && project.testPaths == ["test"])
    }

    @Test func aMalformedPyprojectIsAWarningNotAFailure() {
        let project = Self.project(["pyproject.toml": "[project\nname = 1\n"], folders: ["tests"])
        #expect(project.warnings.count == 1)
        #expect(project.warnings.first?.hasPrefix("pyproject.toml:1:") == true)
        #expect(project.testPaths == ["tests"])
    }

    @Test(arguments: [
        (">=3.11", ["3.10": false, "3.11": true, "3.13": true]),
        (">=3.9,<3.12", ["3.8": false, "3.9": true, "3.11": true, "3.12": false]),
        ("~=3.10", ["3.9": false, "3.10": true, "3.13": true]),
        ("==3.12.*", ["3.11": false, "3.12": true, "3.13": false]),
        (">3.10", ["3.10": false, "3.11": true]),
        (">=3.9.2, !=3.11.*", ["3.9": true, "3.11": false, "3.12": true]),
        ("<3.12.1", ["3.12": true, "3.13": false]),
    ])
    func versionRanges(range: String, expected: [String: Bool]) throws {
        let parsed = try #require(PythonVersionRange(range))
        for (version, admitted) in expected {
            #expect(parsed.admits(version) == admitted, "\(range) admits \(version)")
        }
    }

    @Test func unreadableRangesAreNil() {
        #expect(PythonVersionRange("") == nil)
        #expect(PythonVersionRange("python 3") == nil)
        #expect(PythonVersionRange(">=three") == nil)
    }

    @Test func theStarterIsAValidPipelineWithTheBatteries() throws {
        let project = Self.project(["pyproject.toml": Self.scmProject, "tox.ini": "[tox]\nenvlist = py\n"], folders: ["src", "testing"])
        let text = PythonStarter.pipeline(for: project, interpreters: ["3.10", "3.11", "3.13", "3.12"])
        let config = try parse(text)
        #expect(Set(config.jobs.map(\.name.value)) == ["lint", "build", "test", "tox"])
        #expect(text.contains(#"python: ["3.11", "3.12", "3.13"]"#), "requires-python leaves 3.10 out, sorted")
        #expect(text.contains(#"install: ["./dist/*.whl[testing]"]"#), "the wheel built once, with the test extra")
        #expect(text.contains("--select E9,F63,F7,F82"), "no ruff configuration: only certain bugs")
        #expect(text.contains("python -m pytest --junitxml=report.xml testing"))
        #expect(text.contains("artifacts: [dist/*.tar.gz, dist/*.whl]"))
        #expect(text.contains("# publish:"), "publishing is there, commented")
        #expect(text.contains("from: tox"))
    }

    @Test func withoutARangeOnlyMaintainedInterpretersAreListed() throws {
        let project = Self.project(["pyproject.toml": "[project]\nname = \"x\"\n"], folders: ["tests"])
        let text = PythonStarter.pipeline(for: project, interpreters: ["3.6", "3.8", "3.12"])
        #expect(text.contains(#"python: ["3.12"]"#))
        _ = try parse(text)
    }

    @Test func noAdmittedInterpreterStillWritesAValidPipelineAndSaysSo() throws {
        let project = Self.project(["pyproject.toml": "[project]\nname = \"x\"\nrequires-python = \">=3.99\"\n"])
        let text = PythonStarter.pipeline(for: project, interpreters: ["3.12"])
        #expect(text.contains("no interpreter on this machine is in requires-python"))
        _ = try parse(text)
    }

    @Test func hostileProjectNamesStayInTheirComment() throws {
        let project = Self.project(["pyproject.toml": "[project]\nname = \"x\\njobs: {evil: {steps: [rm -rf /]}}\"\n"])
        let text = PythonStarter.pipeline(for: project, interpreters: ["3.12"])
        let config = try parse(text)
        #expect(!config.jobs.map(\.name.value).contains("evil"))
    }
}
