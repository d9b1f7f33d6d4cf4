import Foundation
import GitKit
import Testing
import TestSupport

/// What a `repos:` entry's `ref` stands for in the repository it names, and the branches a
/// repository has: what the worker's triggers compare a push with.
@Suite struct ReferenceNameTests {
    @Test func shortNamesExpandAsGitExpandsThem() throws {
        let fixture = try GitFixture(files: ["a": "1"])
        try fixture.git(["branch", "feature/x"])
        try fixture.git(["tag", "-a", "-m", "release", "v1"])
        // A branch and a tag of one name: git takes the tag.
        try fixture.git(["branch", "both"])
        try fixture.git(["tag", "both"])
        let repository = try fixture.open()

        #expect(repository.fullReferenceName("main") == "refs/heads/main")
        #expect(repository.fullReferenceName("heads/main") == "refs/heads/main")
        #expect(repository.fullReferenceName("refs/heads/main") == "refs/heads/main")
        #expect(repository.fullReferenceName("feature/x") == "refs/heads/feature/x")
        #expect(repository.fullReferenceName("v1") == "refs/tags/v1")
        #expect(repository.fullReferenceName("both") == "refs/tags/both")
        #expect(try fixture.git(["rev-parse", "--symbolic-full-name", "HEAD"]) == "refs/heads/main")
        #expect(repository.fullReferenceName("HEAD") == "refs/heads/main")
        // A commit id, or a name of nothing, names no ref.
        #expect(repository.fullReferenceName(try fixture.git(["rev-parse", "HEAD"])) == nil)
        #expect(repository.fullReferenceName("missing") == nil)
    }

    @Test func headFollowsTheBranchItNamesInABareRepository() throws {
        let source = try GitFixture(files: ["a": "1"])
        let bare = try GitFixture(bare: true)
        try source.git(["push", "-q", bare.path, "main", "main:trunk"])
        try bare.git(["symbolic-ref", "HEAD", "refs/heads/trunk"])
        #expect(try bare.open().fullReferenceName("HEAD") == "refs/heads/trunk")
    }

    @Test func branchesListsEveryLocalBranchWithItsTip() throws {
        let fixture = try GitFixture(files: ["a": "1"])
        let first = try fixture.git(["rev-parse", "HEAD"])
        try fixture.git(["checkout", "-q", "-b", "feature/x"])
        let second = try fixture.commit(["a": "2"])
        try fixture.git(["tag", "v1"])
        try fixture.git(["update-ref", "refs/remotes/origin/main", first])

        let branches = try fixture.open().branches()
        let listed = Dictionary(branches.map { ($0.name, $0.tip.hex) }, uniquingKeysWith: { first, _ in first })
        #expect(listed == ["main": first, "feature/x": second])
        #expect(branches.count == 2)
    }
}
