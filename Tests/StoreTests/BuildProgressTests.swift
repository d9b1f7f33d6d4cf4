import Foundation
import Store
import Testing
import TestSupport

/// A running build's progress, written in batches: in order, each job's latest status kept,
/// each process group once, other builds untouched.
@Suite struct BuildProgressTests {
    @Test func aBatchIsWrittenInOrder() throws {
        let folder = TemporaryDirectory("gitci-state")
        let queue = try BuildQueue.open(stateFolder: folder.path)
        let ids = try queue.update { transaction in
            [try transaction.enqueue(commit: String(repeating: "a", count: 40), branch: "main", ref: "refs/heads/main"),
             try transaction.enqueue(commit: String(repeating: "b", count: 40), branch: "dev", ref: "refs/heads/dev")]
        }
        let builds = try queue.claim(upTo: 2) { UUID().uuidString }
        #expect(builds.map(\.id) == ids)
        queue.record([.jobStatus(job: "other", status: "running", started: 1)], of: ids[1])
        queue.record([
            .jobStatus(job: "compile", status: "running", started: 10),
            .processGroup(400),
            .jobStatus(job: "unit", status: "running", started: 11),
            .processGroup(401),
            .jobStatus(job: "compile", status: "passed", started: 10),
            .processGroup(400),
        ], of: ids[0])
        queue.record([], of: ids[0])

        let statuses = try queue.jobStatuses(of: ids[0])
        #expect(statuses.map(\.job).sorted() == ["compile", "unit"])
        #expect(Dictionary(uniqueKeysWithValues: statuses.map { ($0.job, $0.status) }) == ["compile": "passed", "unit": "running"])
        #expect(try queue.processGroups(of: [ids[0]]).sorted() == [400, 401])
        #expect(try queue.jobStatuses(of: ids[1]).map(\.status) == ["running"])
        #expect(try queue.processGroups(of: [ids[1]]).isEmpty)
    }
}
