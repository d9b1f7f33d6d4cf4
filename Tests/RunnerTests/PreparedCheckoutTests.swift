import Foundation
import GitKit
@testable import Runner
import Testing
import TestSupport

/// A worker checks a pushed commit out ahead, while the queue takes the push up; the build's
/// first job then takes that folder as its workspace.
@Suite struct PreparedCheckoutTests {
    static let pipeline = """
        jobs:
          inspect:
            steps:
              - |
                \(WorkspaceTests.listFiles)
        """

    static func preparedFolders(_ gitDirectory: String) -> [String] {
        let workspaces = StateFolder(gitCommonDirectory: gitDirectory).workspaces
        return ((try? FileManager.default.contentsOfDirectory(atPath: workspaces)) ?? []).filter { $0.hasPrefix(".prepared-") }
    }

    @Test func aCheckoutStartedAheadHoldsTheCommitsTreeAndIsTakenOnce() throws {
        let fixture = try RunnerFixture(pipeline: Self.pipeline, files: ["data.txt": "v1\n", "src/deep/code.txt": "code\n"])
        let gitDirectory = try Repository.open(fixture.repo.path).gitDirectory
        let commit = try #require(ObjectID(hex: try fixture.repo.git(["rev-parse", "HEAD"])))
        // A worker's repository has its state folder (which gitci install makes).
        try FileManager.default.createDirectory(atPath: StateFolder(gitCommonDirectory: gitDirectory).path, withIntermediateDirectories: true)
        PreparedCheckouts.start(commit, gitDirectory: gitDirectory)
        PreparedCheckouts.start(commit, gitDirectory: gitDirectory)  // under way already: nothing more
        let target = fixture.shared.url("workspace")
        #expect(PreparedCheckouts.take(commit, gitDirectory: gitDirectory, as: target))
        let files = try Shell.run(["sh", "-c", "find . -type f | sed 's|^./||' | LC_ALL=C sort"], in: target).stdout
            .split(separator: "\n").map(String.init)
        #expect(files == [".gitci.yml", "data.txt", "src/deep/code.txt"])
        #expect(try String(contentsOfFile: target + "/data.txt", encoding: .utf8) == "v1\n")
        #expect(!PreparedCheckouts.take(commit, gitDirectory: gitDirectory, as: fixture.shared.url("again")))
        #expect(Self.preparedFolders(gitDirectory).isEmpty)
    }

    @Test func checkoutsNoBuildTookAndFoldersEarlierWorkersLeftAreRemoved() throws {
        let fixture = try RunnerFixture(pipeline: Self.pipeline, files: ["data.txt": "v1\n"])
        let gitDirectory = try Repository.open(fixture.repo.path).gitDirectory
        let commit = try #require(ObjectID(hex: try fixture.repo.git(["rev-parse", "HEAD"])))
        let workspaces = StateFolder(gitCommonDirectory: gitDirectory).workspaces
        try FileManager.default.createDirectory(atPath: workspaces + "/.prepared-" + String(repeating: "0", count: 40) + "/half",
                                                withIntermediateDirectories: true)
        PreparedCheckouts.start(commit, gitDirectory: gitDirectory)
        PreparedCheckouts.discardUntaken(gitDirectory: gitDirectory, strays: true)
        #expect(Self.preparedFolders(gitDirectory).isEmpty)
        #expect(!PreparedCheckouts.take(commit, gitDirectory: gitDirectory, as: fixture.shared.url("late")))
    }
}
