import Foundation
@testable import Runner
import Testing
import TestSupport

/// How `python:` values are read and matched against what is on the machine, and which of the
/// project's `install:` entries are built again from each build's workspace.
@Suite struct PythonLookupTests {
    @Test func versionsAreReadAsPathPyenvAndUvNameThem() throws {
        let plain = try #require(PythonVersionRequest("3.12"))
        #expect(plain.executableName == "python3.12" && !plain.isPyPy && plain.minor == 12)
        #expect(try #require(PythonVersionRequest("3")).executableName == "python3")
        #expect(try #require(PythonVersionRequest("pypy3.10")).executableName == "pypy3.10")
        for bad in ["", "3.", ".12", "3.x", "python3", "3.12.1"] { #expect(PythonVersionRequest(bad) == nil, "\(bad)") }
    }

    @Test func pyenvFoldersOfTheVersionComeNewestFirst() throws {
        let folder = TemporaryDirectory("pyenv-versions")
        for name in ["3.12.1", "3.12.10", "3.12.2", "3.12", "3.120.0", "3.12.1t", "3.11.7", "pypy3.10-7.3.12", "pypy3.10.1"] {
            try FileManager.default.createDirectory(atPath: folder.url(name), withIntermediateDirectories: true)
        }
        #expect(PythonInterpreter.pyenvVersions(in: folder.path, for: try #require(PythonVersionRequest("3.12")))
            == ["3.12.10", "3.12.2", "3.12.1", "3.12"])
        #expect(PythonInterpreter.pyenvVersions(in: folder.path, for: try #require(PythonVersionRequest("pypy3.10"))) == ["pypy3.10.1"])
    }

    @Test func anInterpreterIsTakenOnlyWhenItSaysItIsThatVersion() async throws {
        // `python3.4` on PATH that is in fact the machine's python3: rejected, and said so.
        let folder = TemporaryDirectory("fake-python")
        let python3 = try Shell.run(["python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createSymbolicLink(atPath: folder.url("python3.4"), withDestinationPath: python3)
        let environment = ["PATH": folder.path + ":/usr/bin:/bin", "HOME": folder.path]
        let result = await PythonInterpreter.find(try #require(PythonVersionRequest("3.4")), environment: environment)
        guard case .failure(let notFound) = result else {
            Issue.record("python3 was taken for 3.4")
            return
        }
        #expect(notFound.description.contains("rejected: \(folder.path)/python3.4 (is 3."), "\(notFound)")
        #expect(notFound.description.contains("in pyenv's \(folder.path)/.pyenv/versions (no such version)"), "\(notFound)")
    }

    @Test func theProjectsOwnEntriesAreTheLocalOnes() {
        let local = ["-e .", "-e .[test]", ".", "./sub[extra]", "--editable ./pkg", "file:./x", "/abs/path"]
        let third = ["pytest", "-r requirements.txt", "-e git+https://example.invalid/x.git#egg=x", "pytest>=8 hypothesis"]
        #expect(local.allSatisfy { InstallEntry($0).isLocal })
        #expect(!third.contains { InstallEntry($0).isLocal })
        #expect(InstallEntry("-e .[test]").localPath == ".")
        #expect(InstallEntry("-r requirements/test.txt -c ../outside.txt --constraint=constraints.txt").namedFiles
            == ["requirements/test.txt", "constraints.txt"])
    }

    @Test func theVenvKeyFollowsTheDependencyFilesOnly() throws {
        let workspace = TemporaryDirectory("venv-key")
        let interpreter = PythonInterpreter(path: "/usr/bin/python3.11", version: "3.11.2", major: 3, minor: 11, isPyPy: false)
        func key() -> String { PythonEnvironment.venvKey(interpreter: interpreter, install: ["-e ."], workspace: workspace.path) }
        try "[project]\nname = 'x'\n".write(toFile: workspace.url("pyproject.toml"), atomically: true, encoding: .utf8)
        let first = key()
        try "print()\n".write(toFile: workspace.url("module.py"), atomically: true, encoding: .utf8)
        #expect(key() == first)
        try "pytest==8.0\n".write(toFile: workspace.url("requirements-dev.txt"), atomically: true, encoding: .utf8)
        #expect(key() != first)
        #expect(PythonEnvironment.venvKey(interpreter: interpreter, install: ["-e .[test]"], workspace: workspace.path) != key())
    }

    @Test func pruningRemovesKeysNoJobUsedForLongUnlessAJobHoldsThem() async throws {
        let root = TemporaryDirectory("venvs")
        let now = Date()
        func key(_ scope: String, _ name: String, usedDaysAgo days: Double) throws -> String {
            let folder = root.url("\(scope)/\(name)")
            try FileManager.default.createDirectory(atPath: folder + "/slot-0/bin", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: folder + "/slot-0.lock", contents: nil))
            #expect(FileManager.default.createFile(atPath: folder + "/slot-0.complete", contents: nil))
            let used = now.addingTimeInterval(-days * 86_400)
            // What a job last did there: the marker, and the folders as they were left then.
            for path in [folder + "/slot-0.complete", folder, root.url(scope)] {
                try FileManager.default.setAttributes([.modificationDate: used], ofItemAtPath: path)
            }
            return folder
        }
        let old = try key("branch-gone", "k1", usedDaysAgo: 30)
        let recent = try key("branch-main", "k2", usedDaysAgo: 1)
        let held = try key("branch-main", "k3", usedDaysAgo: 30)
        let slot = try await CacheSlot.take(in: held)
        defer { slot.release() }
        CacheSlot.prune(root.path, now: now)
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(!FileManager.default.fileExists(atPath: root.url("branch-gone")))
        #expect(FileManager.default.fileExists(atPath: recent + "/slot-0/bin"))
        #expect(FileManager.default.fileExists(atPath: held + "/slot-0/bin"))
        // A key folder another job has just made, before it took its slot's lock, stays.
        let fresh = root.url("branch-new/k4")
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        CacheSlot.prune(root.path, now: now)
        #expect(FileManager.default.fileExists(atPath: fresh))
    }
}
