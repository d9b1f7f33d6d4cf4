import Foundation
import Testing
import TestSupport

/// `gitci init` on Python projects of the common layouts writes a pipeline that passes on them as
/// they are: ruff, the sdist and wheel built once and installed by the test jobs, pytest with a
/// JUnit report, tox when configured. Real venvs, real pip (from PyPI), real builds.
@Suite(.serialized) struct PythonStarterRunTests {
    /// src layout, version from git tags (setuptools-scm writing `_version.py`), tests in
    /// `testing/`, a tox configuration: the shape of pluggy.
    static let srcLayout: [String: String] = [
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=64", "setuptools-scm>=8"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "sample-src"
            dynamic = ["version"]
            requires-python = ">=3.9"

            [project.optional-dependencies]
            testing = ["pytest"]

            [tool.setuptools_scm]
            version_file = "src/sample_src/_version.py"
            """,
        "src/sample_src/__init__.py": "from ._version import version\n\ndef double(x):\n    return 2 * x\n",
        "testing/test_double.py": """
            import sample_src

            def test_double():
                assert sample_src.double(21) == 42

            def test_version_from_the_tag():
                assert sample_src.version.startswith("1.2.")
            """,
        "tox.ini": "[tox]\nenvlist = py\n\n[testenv]\nskip_install = true\ncommands = python -c \"print('tox env ran')\"\n",
        ".gitignore": "src/sample_src/_version.py\n",
    ]

    /// Flat layout, hatchling with hatch-vcs, ruff and coverage configured, tests in `tests/`
    /// with their tools in a `tests` extra.
    static let flatLayout: [String: String] = [
        "pyproject.toml": """
            [build-system]
            requires = ["hatchling", "hatch-vcs"]
            build-backend = "hatchling.build"

            [project]
            name = "sample-flat"
            dynamic = ["version"]

            [project.optional-dependencies]
            tests = ["pytest"]

            [tool.hatch.version]
            source = "vcs"

            [tool.ruff]
            line-length = 100

            [tool.coverage.run]
            source = ["sample_flat"]
            """,
        "sample_flat/__init__.py": "def greet(name):\n    return f\"hello {name}\"\n",
        "tests/test_greet.py": "from sample_flat import greet\n\n\ndef test_greet():\n    assert greet(\"you\") == \"hello you\"\n",
    ]

    /// A plain setuptools project with a fixed version and no extras: the test tools are pytest alone.
    static let plainSetuptools: [String: String] = [
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "sample-plain"
            version = "0.1.0"
            """,
        "src/sample_plain/__init__.py": "ANSWER = 42\n",
        "tests/test_answer.py": "import sample_plain\n\n\ndef test_answer():\n    assert sample_plain.ANSWER == 42\n",
    ]

    @Test(arguments: [("src layout, setuptools-scm, testing/, tox", srcLayout, true),
                      ("flat layout, hatch-vcs, ruff and coverage", flatLayout, true),
                      ("plain setuptools", plainSetuptools, false)])
    func theStarterPassesOutOfTheBox(layout: String, files: [String: String], tagged: Bool) throws {
        let python = try OnePython()
        let repo = try GitFixture(files: files)
        if tagged { try repo.git(["tag", "v1.2.0"]) }
        let initialised = try GitciBinary.run(["init"], in: repo.path, environment: python.environment)
        #expect(initialised.status == 0, "\(layout): \(initialised.stderr)")
        let pipeline = try String(contentsOfFile: repo.directory.url(".gitci.yml"), encoding: .utf8)
        #expect(pipeline.contains("\"\(python.version)\""), "\(layout): \(pipeline)")
        try repo.commit([:], message: "add the pipeline gitci init wrote")
        if tagged { try repo.git(["tag", "-f", "v1.2.1"]) }

        // Sandboxed, as a server builds a push: the steps see their venv read-only.
        var byName = try Self.run(repo, python: python, layout: layout, pipeline: pipeline)
        let test = try #require(byName["test (python=\(python.version))"], "\(byName.keys.sorted())")
        let counts = test["tests"] as? [String: Any]
        #expect((counts?["passed"] as? Int ?? 0) >= 1 && (counts?["failed"] as? Int) == 0, "\(layout): \(test)")
        let built = (byName["build"]?["artifacts"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(built.contains { $0.hasPrefix("dist/") && $0.hasSuffix(".whl") }, "\(layout): \(built)")
        #expect(built.contains { $0.hasSuffix(".tar.gz") }, "\(layout): \(built)")
        if tagged {
            #expect(built.contains { $0.contains("1.2.1") }, "the version comes from the tag: \(built)")
        }
        if files["tox.ini"] != nil {
            #expect(byName["tox (env=py)"]?["status"] as? String == "passed", "\(byName.keys.sorted())")
        }

        // The next commit: the venvs are reused, and the test job installs the new wheel.
        let marker = "second_\(UInt32.random(in: 0...UInt32.max))"
        let testFile = (files.keys.first { $0.hasPrefix("test") && $0.hasSuffix(".py") })!
        try repo.commit([(testFile as NSString).deletingLastPathComponent + "/test_\(marker).py": "def test_\(marker)():\n    pass\n"],
                        message: "a second test")
        if tagged { try repo.git(["tag", "v1.2.2"]) }
        byName = try Self.run(repo, python: python, layout: layout, pipeline: pipeline)
        let again = try #require(byName["test (python=\(python.version))"])
        #expect((again["tests"] as? [String: Any])?["passed"] as? Int == (counts?["passed"] as? Int ?? 0) + 1, "\(again)")
        let log = try String(contentsOfFile: again["log"] as? String ?? "", encoding: .utf8)
        #expect(log.contains("venv reused"), "\(log.suffix(3_000))")
        if tagged { #expect(log.contains("1.2.2"), "the new wheel was installed: \(log.suffix(3_000))") }
    }

    /// `gitci run --sandbox` of HEAD; every job must pass. The jobs by name.
    static func run(_ repo: GitFixture, python: OnePython, layout: String, pipeline: String) throws -> [String: [String: Any]] {
        let result = try GitciBinary.run(["run", "--json", "--jobs", "2", "--sandbox", "--commit", "HEAD"], in: repo.path,
                                         environment: python.environment, timeout: 900)
        let document = try jsonObject(result.stdout)
        let jobs = document["jobs"] as? [[String: Any]] ?? []
        #expect(result.status == 0 && document["status"] as? String == "passed",
                "\(layout): \(pipeline)\n\(result.stdout)\n\(result.stderr)\n\(Self.failedLogs(jobs))")
        return Dictionary(jobs.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { $1 })
    }

    static func failedLogs(_ jobs: [[String: Any]]) -> String {
        jobs.filter { $0["status"] as? String == "failed" }.compactMap { job in
            (job["log"] as? String).flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.map { String($0.suffix(3_000)) }
        }.joined(separator: "\n----\n")
    }
}

/// The machine's own python3, made the only interpreter `gitci init` and the jobs can find, so a
/// starter lists one version and the test does the same work on every machine.
struct OnePython {
    let version: String
    let environment: [String: String]
    private let bin: TemporaryDirectory

    init() throws {
        let probe = try Shell.run(["python3", "-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"])
        let lines = probe.stdout.split(separator: "\n").map(String.init)
        guard probe.status == 0, lines.count == 2 else { throw FixtureError("no python3 on this machine: \(probe.stderr)") }
        version = lines[1]
        bin = TemporaryDirectory("gitci-python")
        try FileManager.default.createSymbolicLink(atPath: bin.url("python\(version)"), withDestinationPath: lines[0])
        try FileManager.default.createDirectory(atPath: bin.url("no-pyenv"), withIntermediateDirectories: true)
        // No tox and no pyenv (Debian's /bin is /usr/bin: git, sh and the system's own python3.X):
        // gitci must bring what the starter needs.
        environment = ["PATH": bin.path + ":/bin", "PYENV_ROOT": bin.url("no-pyenv")]
    }
}
