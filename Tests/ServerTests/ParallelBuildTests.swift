import Foundation
import Testing
import TestSupport

/// Builds of different pushes run side by side, up to a limit the worker a push starts takes
/// from the repository's config (`gitci.workerBuilds`, default 2).
@Suite struct ParallelBuildTests {
    /// Pushes a commit of its own to each of `branches`, one push each; every build says it
    /// started, then waits for `{scratch}/go`.
    static func pushWaitingBuilds(_ fixture: ServerFixture, branches: [String]) throws -> [String: String] {
        var commits: [String: String] = [:]
        for branch in branches {
            try fixture.clone.git(["checkout", "-q", "-b", branch, "main"])
            commits[branch] = try fixture.clone.commit(["\(branch).txt": branch], message: branch)
            try fixture.pushOK(["-q", "origin", branch])
        }
        return commits
    }

    static let pipeline = """
        jobs:
          wait:
            steps: ["touch {scratch}/started-$GITCI_BRANCH", "\(ServerFixture.waitFor("{scratch}/go"))"]
        """

    /// Lets the waiting builds go and requires each commit to have passed.
    static func letThemFinish(_ fixture: ServerFixture, _ commits: [String: String]) throws {
        fixture.touch(fixture.scratch.url("go"))
        try fixture.drain()
        for commit in commits.values {
            #expect(try fixture.status(commit)["status"] as? String == "passed")
        }
    }

    func started(_ fixture: ServerFixture, _ branches: [String]) -> [String] {
        branches.filter { FileManager.default.fileExists(atPath: fixture.scratch.url("started-\($0)")) }
    }

    @Test func buildsOfDifferentPushesRunAtOnce() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        let commits = try Self.pushWaitingBuilds(fixture, branches: ["one", "two"])
        #expect(await Poll.until(timeout: 60) { started(fixture, ["one", "two"]).count == 2 },
                "the second push's build did not start while the first one ran")
        try Self.letThemFinish(fixture, commits)
    }

    @Test func theWorkerAPushStartsTakesItsBuildLimitFromTheConfig() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.server.git(["config", "gitci.workerBuilds", "1"])
        let commits = try Self.pushWaitingBuilds(fixture, branches: ["one", "two"])
        #expect(await Poll.until(timeout: 60) { !started(fixture, ["one", "two"]).isEmpty })
        // Long enough for a second build to have started, were it allowed to.
        try await Task.sleep(for: .seconds(1))
        let running = started(fixture, ["one", "two"])
        #expect(running.count == 1, "\(running)")
        let waiting = try #require(["one", "two"].first { !running.contains($0) })
        #expect(try fixture.status(try #require(commits[waiting]))["status"] as? String == "queued")

        try Self.letThemFinish(fixture, commits)
    }

    @Test func aBuildLimitThatIsNotANumberIsReportedAndTheDefaultKept() async throws {
        let fixture = try ServerFixture(pipeline: Self.pipeline)
        try fixture.server.git(["config", "gitci.workerBuilds", "lots"])
        let commits = try Self.pushWaitingBuilds(fixture, branches: ["one", "two"])
        #expect(await Poll.until(timeout: 60) { started(fixture, ["one", "two"]).count == 2 })
        try Self.letThemFinish(fixture, commits)
        let log = (try? String(contentsOfFile: fixture.stateFolder + "/worker.log", encoding: .utf8)) ?? ""
        #expect(log.contains("gitci.workerBuilds 'lots' is not a number from 1 to 64"), "\(log)")
    }
}
