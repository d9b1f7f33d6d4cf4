import Foundation
import Testing
import TestSupport

/// `from: tox` end to end: `gitci run` reads the tox file at the commit and runs one job per
/// environment. The `tox` on PATH here is a stand-in script (CI machines have no tox): what is
/// tested is which jobs gitci runs and what each is told, not tox.
@Suite struct ToxRunTests {
    static let pipeline = """
        jobs:
          tox:
            from: tox
          after:
            needs: [tox]
            steps: ["echo after"]
        """

    static let toxIni = """
        [tox]
        envlist = py3{11,12}, lint
        """

    /// A folder holding an executable `tox` that prints the environment it was asked for.
    static func fakeTox() throws -> TemporaryDirectory {
        let folder = TemporaryDirectory("gitci-fake-tox")
        let path = folder.url("tox")
        try "#!/bin/sh\necho \"tox was asked for $1 $2\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return folder
    }

    @Test func eachToxEnvironmentRunsAsAJobAndIsRecorded() throws {
        let repo = try repository(pipeline: Self.pipeline, files: ["tox.ini": Self.toxIni])
        let tox = try Self.fakeTox()
        let path = tox.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try GitciBinary.run(["run", "--json", "--record"], in: repo.path, environment: ["PATH": path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let jobs = jobsByName(try jsonObject(result.stdout))
        #expect(Set(jobs.keys) == ["tox (env=py311)", "tox (env=py312)", "tox (env=lint)", "after"])
        for environment in ["py311", "py312", "lint"] {
            let job = try #require(jobs["tox (env=\(environment))"])
            #expect(job["status"] as? String == "passed")
            let log = try String(contentsOfFile: try #require(job["log"] as? String), encoding: .utf8)
            #expect(log.contains("tox was asked for -e \(environment)"))
        }
        let note = try repo.git(["notes", "--ref=gitci", "show", "HEAD"])
        for environment in ["py311", "py312", "lint"] {
            #expect(note.contains(#""job":"tox (env=\#(environment))""#))
        }
    }

    @Test func aMissingToxFileIsAConfigErrorBeforeAnythingRuns() throws {
        let repo = try repository(pipeline: Self.pipeline)
        let result = try GitciBinary.run(["run"], in: repo.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("job 'tox' has `from: tox`, but there is no tox configuration"), "\(result.stderr)")
    }

    @Test func theToxFileIsReadAtTheCommitRun() throws {
        let repo = try repository(pipeline: Self.pipeline, files: ["tox.ini": Self.toxIni])
        let first = try repo.git(["rev-parse", "HEAD"])
        try repo.commit(["tox.ini": "[tox]\nenvlist = docs\n"], message: "only docs")
        let tox = try Self.fakeTox()
        let path = tox.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try GitciBinary.run(["run", "--json", "--commit", first], in: repo.path, environment: ["PATH": path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(Set(jobsByName(try jsonObject(result.stdout)).keys) == ["tox (env=py311)", "tox (env=py312)", "tox (env=lint)", "after"])
    }

    @Test func validateExpandsFromToxToo() throws {
        let repo = try repository(pipeline: Self.pipeline, files: ["tox.ini": Self.toxIni])
        let valid = try GitciBinary.run(["validate"], in: repo.path)
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout.contains("4 jobs"), "\(valid.stdout)")
        try repo.commit(["tox.ini": "[tox]\nenvlist = a b\n"], message: "broken tox.ini")
        let broken = try GitciBinary.run(["validate"], in: repo.path)
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("tox.ini:2: env_list: 'a b' is not a valid tox environment name"), "\(broken.stderr)")
    }
}
