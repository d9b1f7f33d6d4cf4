import Foundation
import HookIntake
import Testing
import TestSupport

/// The state folder's on-disk contract (StateLayout), which the lean hook, the worker and the
/// commands all read: what `gitci install` and a push make is where it says.
@Suite struct StateLayoutTests {
    @Test func theStateFolderIsInsideTheGitDirectoryWhateverItsSpelling() {
        #expect(StateLayout.folder(of: "/srv/app.git") == "/srv/app.git/gitci")
        #expect(StateLayout.folder(of: "/srv/app.git/") == "/srv/app.git/gitci", "libgit2 ends directories with a slash")
        #expect(StateLayout.folder(of: "/") == "/gitci")
        #expect(StateLayout.path(StateLayout.queue, in: "/srv/app.git/gitci/") == "/srv/app.git/gitci/queue.sqlite")
    }

    @Test func theWorkersCommandLineIsReadBackExactlyAndNothingElseIs() {
        for awaiting in [false, true] {
            let arguments = StateLayout.WorkerCommand.arguments(gitDirectory: "/srv/a b.git", awaitingPush: awaiting)
            let parsed = StateLayout.WorkerCommand.parse(arguments[...])
            #expect(parsed?.gitDirectory == "/srv/a b.git")
            #expect(parsed?.awaitingPush == awaiting)
        }
        for other in [["worker", "--repo", "/x"], ["worker", "--started-by-hook", "--repo", "/x", "--once"],
                      ["worker", "--started-by-hook", "--repo"], ["status", "--started-by-hook", "--repo", "/x"]] {
            #expect(StateLayout.WorkerCommand.parse(other[...]) == nil, "\(other)")
        }
    }

    @Test func whatInstallAndAPushMakeIsWhereTheLayoutSays() throws {
        let fixture = try ServerFixture(pipeline: "jobs:\n  hello:\n    steps: [\"echo hello\"]\n")
        let state = StateLayout.folder(of: fixture.serverPath)
        try fixture.pushOK(["-q", "origin", "main"])
        try fixture.drain()
        #expect(try fixture.pipelineRecords(try fixture.clone.git(["rev-parse", "HEAD"])).count == 1)
        for name in [StateLayout.queue, StateLayout.index, StateLayout.workerLock, StateLayout.workerLog,
                     StateLayout.logs] {
            #expect(FileManager.default.fileExists(atPath: StateLayout.path(name, in: state)), "\(name)")
        }
    }
}
