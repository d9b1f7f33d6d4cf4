import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct HistoryTests {
    @Test func firstParentHistoryLeavesMergedBranchesOut() throws {
        let fixture = try GitFixture()
        try fixture.commit(["a": "1"], message: "one")
        try fixture.git(["checkout", "-q", "-b", "side"])
        try fixture.commit(["b": "side"], message: "side")
        try fixture.git(["checkout", "-q", "main"])
        try fixture.commit(["a": "2"], message: "two")
        try fixture.git(["merge", "-q", "--no-ff", "-m", "merge side", "side"])

        let repository = try fixture.open()
        let head = try #require(repository.referenceTarget("refs/heads/main"))
        #expect(repository.referenceTarget("main") == head)
        let history = try repository.firstParentHistory(from: head, limit: 10)
        let expected = try fixture.git(["rev-list", "--first-parent", "main"]).split(separator: "\n").map(String.init)
        #expect(history.map(\.id.hex) == expected)
        #expect(history.map(\.summary) == ["merge side", "two", "one"])
        #expect(history[0].parents.count == 2)
        #expect(try repository.firstParentHistory(from: head, limit: 2).map(\.summary) == ["merge side", "two"])
        #expect(try repository.firstParentHistory(from: head, limit: 0).isEmpty)
    }

    @Test func referenceTargetPeelsTagsAndIsNilForMissingRefs() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        try fixture.git(["tag", "-a", "-m", "release", "v1"])
        let repository = try fixture.open()
        let head = try objectID(try fixture.git(["rev-parse", "HEAD"]))
        #expect(repository.referenceTarget("refs/tags/v1") == head)
        #expect(repository.referenceTarget("refs/notes/gitci") == nil)
        #expect(repository.referenceTarget("refs/heads/none") == nil)
    }
}
