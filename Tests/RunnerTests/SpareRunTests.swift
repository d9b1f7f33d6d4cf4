import Foundation
import Runner
import Testing
import TestSupport

/// A run's folders, its first job's log and its first job's workspace, made ahead
/// (StateFolder.makeSpareRun) and taken by the next run by renaming: the very inodes made
/// ahead end up as the run's, and nothing of the spares is left in the run's folders.
@Suite struct SpareRunTests {
    static func inode(_ path: String) -> UInt64? {
        var status = stat()
        return lstat(path, &status) == 0 ? UInt64(status.st_ino) : nil
    }

    @Test(arguments: [false, true]) func aRunTakesWhatWasMadeAhead(commit: Bool) async throws {
        let fixture = try RunnerFixture(pipeline: "jobs:\n  first:\n    steps: [true]\n  second:\n    steps: [true]\n",
                                        commit: commit)
        let state = StateFolder(gitCommonDirectory: fixture.repo.path + "/.git")
        try FileManager.default.createDirectory(atPath: state.path, withIntermediateDirectories: true)
        state.makeSpareRun()
        let spareLogs = state.logs + "/.spare-run", spareWorkspaces = state.workspaces + "/.spare-run"
        let made = [spareLogs, spareLogs + "/.spare-log", spareWorkspaces, spareWorkspaces + "/.spare-job"].map(Self.inode)
        #expect(!made.contains(nil))

        var options = LocalRun.Options(parallelism: 1, keepWorkspaces: true)
        options.commit = commit ? "HEAD" : nil
        let report = try await fixture.run(options)
        #expect(report.status == .passed)
        let runWorkspaces = state.workspaces + "/" + report.runID
        let firstLog = try #require(report["first"].logPath)
        #expect([report.logDirectory, firstLog, runWorkspaces, runWorkspaces + "/001-first"].map(Self.inode) == made)
        // The second job made its own; no spare is left behind, in the state folder or the run's.
        #expect(Self.inode(try #require(report["second"].logPath)) != nil)
        #expect(Self.inode(runWorkspaces + "/002-second") != nil)
        for leftover in [spareLogs, spareWorkspaces, report.logDirectory + "/.spare-log", runWorkspaces + "/.spare-job"] {
            #expect(Self.inode(leftover) == nil, "\(leftover)")
        }
    }

    @Test func spareFoldersAreMadeOnceAndWithoutThemARunMakesItsOwn() async throws {
        let fixture = try RunnerFixture(pipeline: "jobs:\n  only:\n    steps: [true]\n")
        let state = StateFolder(gitCommonDirectory: fixture.repo.path + "/.git")
        #expect(try await fixture.run().status == .passed)
        state.makeSpareRun()
        let made = Self.inode(state.logs + "/.spare-run")
        state.makeSpareRun()
        #expect(Self.inode(state.logs + "/.spare-run") == made)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.logs).filter { $0.hasPrefix(".spare-run-") }.isEmpty)

        // A run whose job takes the spare log, then one with none to take.
        #expect(try await fixture.run().status == .passed)
        let report = try await fixture.run()
        #expect(report.status == .passed)
        #expect(try report["only"].log().contains("==> step 1/1: true"))
    }

    @Test func aRetriedRunKeepsItsFoldersAndLeavesTheSpares() throws {
        let fixture = try RunnerFixture(pipeline: "jobs:\n  only:\n    steps: [true]\n")
        let state = StateFolder(gitCommonDirectory: fixture.repo.path + "/.git")
        let first = try state.prepareRun("20261126-120000-0001")
        try "earlier attempt\n".write(toFile: first.logs + "/001-only.log", atomically: false, encoding: .utf8)
        state.makeSpareRun()
        let again = try state.prepareRun("20261126-120000-0001")
        #expect(again.logs == first.logs)
        #expect(FileManager.default.fileExists(atPath: again.logs + "/001-only.log"))
        #expect(Self.inode(state.logs + "/.spare-run") != nil, "the spare is there for the next run")
    }
}
