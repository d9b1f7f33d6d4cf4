import GitKit
import Testing
import TestSupport

/// Paths into a commit's tree are read the way git writes them: leading, trailing and repeated
/// slashes do not matter, and an empty path is the root tree.
@Suite struct TreePathTests {
    @Test func slashesAroundAndBetweenNamesDoNotMatter() throws {
        let fixture = try GitFixture(files: ["ci/conf.yml": "jobs: {}\n", "top.txt": "top\n"])
        let repository = try fixture.open()
        let head = try objectID(try fixture.git(["rev-parse", "HEAD"]))
        let file = try objectID(try fixture.git(["rev-parse", "HEAD:ci/conf.yml"]))
        for path in ["ci/conf.yml", "/ci/conf.yml", "ci//conf.yml", "ci/conf.yml/", "//ci///conf.yml//"] {
            #expect(try repository.blob(at: path, in: head)?.id == file, "\(path)")
        }
        #expect(try repository.blob(at: "ci/conf.yml", in: head)?.bytes == Array("jobs: {}\n".utf8))
        #expect(try repository.objectID(at: "ci/", in: head) == objectID(try fixture.git(["rev-parse", "HEAD:ci"])))
        for root in ["", "/", "///"] {
            #expect(try repository.objectID(at: root, in: head) == objectID(try fixture.git(["rev-parse", "HEAD^{tree}"])))
        }
        #expect(try repository.blob(at: "ci", in: head) == nil)
        #expect(try repository.blob(at: "c/i/conf.yml", in: head) == nil)
        #expect(try repository.blob(at: "top.txt/x", in: head) == nil)
    }
}
