import Foundation
import Testing
import TestSupport

/// `python:` and `install:` end to end, with real interpreters, venvs and pip: the version used
/// is the one `python3` is on this machine, so that the tests run wherever python3 does.
@Suite(.serialized) struct PythonRunTests {
    /// `3.11`: what the machine's `python3` is.
    static let machineVersion: String = {
        let result = try? Shell.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "3"
    }()

    static let pyproject = """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "tinypkg"
        version = "0.1"
        """

    static func pipeline(install: String = #"["-e ."]"#) -> String {
        """
        jobs:
          test:
            python: ["\(machineVersion)"]
            install: \(install)
            steps:
              - python -c "import tinypkg; print('VALUE', tinypkg.VALUE)"
              - python -c "import sys; print('PREFIX', sys.prefix)"
              - if touch "$VIRTUAL_ENV/poison" 2>/dev/null; then echo VENV-WRITABLE; fi
        """
    }

    /// A src-layout project whose package says which commit it is.
    static func project() throws -> GitFixture {
        try repository(pipeline: pipeline(), files: [
            "pyproject.toml": pyproject,
            "src/tinypkg/__init__.py": "VALUE = 1\n",
        ])
    }

    /// Runs the pipeline at HEAD and returns the one job's log.
    static func run(_ repo: GitFixture, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (status: Int32, log: String, output: String) {
        let result = try GitciBinary.run(["run", "--json", "--commit", "HEAD"] + extra, in: repo.path, environment: environment)
        let jobs = jobsByName(try jsonObject(result.stdout))
        let job = try #require(jobs.values.first)
        let log = try String(contentsOfFile: try #require(job["log"] as? String), encoding: .utf8)
        return (result.status, log, result.stdout + result.stderr)
    }

    static func value(_ prefix: String, in log: String) -> String? {
        log.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.map { String($0.dropFirst(prefix.count + 1)) }
    }

    /// Whether a step printed `line` (the step's command, echoed with `$ `, does not count).
    static func printed(_ line: String, in log: String) -> Bool {
        log.split(separator: "\n").contains { $0 == line }
    }

    @Test func theVenvIsReusedWithTheNewCodeAndMadeAgainWhenDependenciesChange() throws {
        let repo = try Self.project()
        let first = try Self.run(repo)
        #expect(first.status == 0, "\(first.output)\n\(first.log)")
        #expect(first.log.contains("==> python \(Self.machineVersion): venv created"))
        #expect(Self.value("VALUE", in: first.log) == "1")
        let venv = try #require(Self.value("PREFIX", in: first.log))
        #expect(venv.contains("/.git/gitci/venvs/branch-"))

        // New code, same dependencies: the same venv, only the project installed again, against
        // this build's workspace (the first build's is gone).
        try repo.commit(["src/tinypkg/__init__.py": "VALUE = 2\n"], message: "two")
        let second = try Self.run(repo)
        #expect(second.status == 0, "\(second.output)\n\(second.log)")
        #expect(second.log.contains("==> python \(Self.machineVersion): venv reused"))
        #expect(!second.log.contains("venv created"))
        let pipRuns = second.log.split(separator: "\n").filter { $0.hasPrefix("$ ") && $0.contains("pip install") }
        #expect(pipRuns.count == 1)
        #expect(pipRuns.allSatisfy { $0.contains("--no-deps") && $0.hasSuffix(" -e .") }, "\(pipRuns)")
        #expect(Self.value("VALUE", in: second.log) == "2")
        #expect(Self.value("PREFIX", in: second.log) == venv)
        // Without the sandbox the steps could write; the venv is this branch's only.
        #expect(Self.printed("VENV-WRITABLE", in: second.log))

        // A dependency file changed: another venv.
        try repo.commit(["pyproject.toml": Self.pyproject + "\ndescription = \"changed\"\n"], message: "metadata")
        let third = try Self.run(repo)
        #expect(third.status == 0, "\(third.output)\n\(third.log)")
        #expect(third.log.contains("venv created"))
        #expect(Self.value("PREFIX", in: third.log) != venv)
        #expect(Self.value("VALUE", in: third.log) == "2")
    }

    /// A venv with nothing of the project's own in it (tools only, or nothing at all) is the
    /// job's on its reuse as on its making.
    @Test(arguments: [[String](), ["--sandbox"]])
    func aReusedVenvWithoutLocalEntriesIsStillTheJobs(_ extra: [String]) throws {
        let repo = try repository(pipeline: """
            jobs:
              tools:
                python: ["\(Self.machineVersion)"]
                install: ["pip"]
                steps:
                  - python -c "import sys; assert sys.prefix != sys.base_prefix, sys.prefix"
                  - test "$(command -v python)" = "$VIRTUAL_ENV/bin/python"
            """)
        for round in 1...2 {
            if round == 2 { try repo.commit(["two.txt": "2\n"]) }
            let (status, log, output) = try Self.run(repo, extra)
            #expect(status == 0, "round \(round): \(output)\n\(log)")
            #expect(log.contains(round == 1 ? "venv created" : "venv reused"), "round \(round): \(log)")
        }
    }

    @Test func twoJobsWithOneKeyAtOnceTakeTwoSlots() throws {
        let job = """
                python: "\(Self.machineVersion)"
                steps: ["sleep 2; python -c \\"import sys; print('PREFIX', sys.prefix)\\""]
            """
        let repo = try repository(pipeline: "jobs:\n  a:\n\(job)\n  b:\n\(job)\n")
        let result = try GitciBinary.run(["run", "--json", "--commit", "HEAD", "--jobs", "2"], in: repo.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        var prefixes: [String] = []
        for (_, job) in jobsByName(try jsonObject(result.stdout)) {
            let log = try String(contentsOfFile: try #require(job["log"] as? String), encoding: .utf8)
            prefixes.append(try #require(Self.value("PREFIX", in: log)))
        }
        // The same key, each job in a slot of its own.
        #expect(Set(prefixes.map { ($0 as NSString).deletingLastPathComponent }).count == 1)
        #expect(Set(prefixes.map { ($0 as NSString).lastPathComponent }) == ["slot-0", "slot-1"], "\(prefixes)")
    }

    @Test func aVersionTheMachineLacksFailsTheJobSayingWhereGitciLooked() throws {
        let repo = try repository(pipeline: """
            jobs:
              old:
                python: "3.4"
                steps: ["echo never"]
            """)
        let result = try Self.run(repo)
        #expect(result.status == 1)
        #expect(result.output.contains("no Python 3.4 interpreter found; looked for python3.4 on PATH"), "\(result.output)")
        #expect(result.output.contains("in pyenv's"))
        #expect(result.output.contains("uv python find"))
        #expect(!result.log.contains("never"))
    }

    @Test func sandboxedStepsSeeTheVenvAndCannotWriteIntoIt() throws {
        let repo = try Self.project()
        let result = try Self.run(repo, ["--sandbox"])
        #expect(result.status == 0, "\(result.output)\n\(result.log)")
        #expect(Self.value("VALUE", in: result.log) == "1")
        let venv = try #require(Self.value("PREFIX", in: result.log))
        #expect(!Self.printed("VENV-WRITABLE", in: result.log))
        #expect(!FileManager.default.fileExists(atPath: venv + "/poison"))
        #expect(FileManager.default.fileExists(atPath: venv + "/bin/python"))
    }

    @Test func gitciInstallsToxWhenMissingAndToxKeepsItsEnvironments() throws {
        let toxIni = """
            [tox]
            envlist = a
            [testenv]
            skip_install = true
            commands = python -c "print('TOX-RAN')"
            """
        let repo = try repository(pipeline: "jobs:\n  tox:\n    from: tox\n", files: ["tox.ini": toxIni])
        // PATH without any tox: the machine's python3 stays.
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .filter { access("\($0)/tox", X_OK) != 0 }.joined(separator: ":")
        let first = try Self.run(repo, environment: ["PATH": path])
        #expect(first.status == 0, "\(first.output)\n\(first.log)")
        #expect(first.log.contains("tox is not on PATH: gitci installs it into \(TestHome.path)/tools/tox"))
        #expect(Self.printed("TOX-RAN", in: first.log))
        let workLine = try #require(first.log.split(separator: "\n").first { $0.hasPrefix("gitci: tox's work folder, kept between builds: ") })
        let work = String(workLine.dropFirst("gitci: tox's work folder, kept between builds: ".count))
        #expect(work.contains("/.git/gitci/tox/branch-"))
        // Recreating the environment would remove what is in its folder.
        let marker = work + "/a/kept-by-test"
        #expect(FileManager.default.createFile(atPath: marker, contents: Data()))

        try repo.commit(["tox.ini": toxIni + "\n# changed\n"], message: "second build")
        let second = try Self.run(repo, environment: ["PATH": path])
        #expect(second.status == 0, "\(second.output)\n\(second.log)")
        #expect(second.log.contains("tox is not on PATH; using gitci's own"))
        #expect(!second.log.contains("gitci installs it"))
        #expect(Self.printed("TOX-RAN", in: second.log))
        #expect(FileManager.default.fileExists(atPath: marker), "tox made the environment again:\n\(second.log)")

        // Sandboxed: gitci's tox is shown read-only, the work folder read-write, and kept.
        try repo.commit(["tox.ini": toxIni + "\n# sandboxed\n"], message: "third build")
        let sandboxed = try Self.run(repo, ["--sandbox"], environment: ["PATH": path])
        #expect(sandboxed.status == 0, "\(sandboxed.output)\n\(sandboxed.log)")
        #expect(Self.printed("TOX-RAN", in: sandboxed.log))
        #expect(FileManager.default.fileExists(atPath: marker), "tox made the environment again:\n\(sandboxed.log)")
    }
}
