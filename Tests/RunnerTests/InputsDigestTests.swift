import Foundation
import GitKit
import Pipeline
import Runner
import Testing
import TestSupport

/// The inputs digest and cache key of a job, computed from the object database of a real
/// repository.
@Suite struct InputsDigestTests {
    /// A repository with `folders` folders of `files` files each, plus `docs/` and a top file.
    static func repository(folders: Int = 20, files: Int = 10) throws -> GitFixture {
        let repo = try GitFixture()
        for folder in 0..<folders {
            for file in 0..<files { try repo.write("pkg\(folder)/mod\(file).py", "x = \(folder * files + file)\n") }
        }
        try repo.commit(["docs/index.md": "# docs\n", "pyproject.toml": "[project]\n", "src/a.py": "a\n", "src/gen/b.py": "b\n"])
        return repo
    }

    func digest(_ inputs: [String]?, in repo: GitFixture, at revision: String = "HEAD") throws -> ObjectID {
        let repository = try Repository.open(repo.path)
        return try CacheKey.inputsDigest(of: repository.resolveCommit(revision), patterns: InputPatterns(inputs), in: repository)
    }

    @Test func plainPathsAreTakenWithoutWalkingTheTree() throws {
        let repo = try Self.repository()
        let repository = try Repository.open(repo.path)
        let patterns = InputPatterns(["src/", "pyproject.toml", "pkg3", "missing/"])
        var asked: [String] = []
        let entries = try repository.selectedEntries(of: repository.resolveCommit("HEAD"), starts: patterns.starts) { path, isTree in
            asked.append(path)
            switch patterns.verdict(path: path, isTree: isTree) {
            case .take: return .take
            case .skip: return .skip
            case .descend: return .descend
            }
        }
        // One question per entry: none about the 200 files or the other folders.
        #expect(asked == ["src", "pyproject.toml", "pkg3"])
        #expect(entries.map(\.path) == ["missing", "pkg3", "pyproject.toml", "src"])
        #expect(entries.first { $0.path == "src" }?.id?.hex == (try repo.git(["rev-parse", "HEAD:src"])))
        #expect(entries.first { $0.path == "pyproject.toml" }?.id?.hex == (try repo.git(["rev-parse", "HEAD:pyproject.toml"])))
        #expect(entries.first { $0.path == "missing" }?.id == nil)
    }

    @Test func anExclusionOpensOnlyTheFoldersOnItsWay() throws {
        let repo = try Self.repository()
        let repository = try Repository.open(repo.path)
        let patterns = InputPatterns([".", "!src/gen/"])
        var asked: [String] = []
        let entries = try repository.selectedEntries(of: repository.resolveCommit("HEAD"), starts: patterns.starts) { path, isTree in
            asked.append(path)
            switch patterns.verdict(path: path, isTree: isTree) {
            case .take: return .take
            case .skip: return .skip
            case .descend: return .descend
            }
        }
        // The root, its 23 entries, and src's two.
        #expect(asked.count == 1 + 23 + 2, "\(asked)")
        #expect(entries.map(\.path).contains("src/a.py"))
        #expect(!entries.map(\.path).contains { $0.hasPrefix("src/gen") })
        #expect(entries.map(\.path).contains("pkg0"))
    }

    @Test func aDocsOnlyChangeLeavesADigestThatExcludesDocsAlone() throws {
        let repo = try Self.repository(folders: 2, files: 2)
        let before = (all: try digest(nil, in: repo), noDocs: try digest([".", "!docs/"], in: repo), src: try digest(["src/"], in: repo))
        try repo.commit(["docs/index.md": "# better docs\n"])
        #expect(try digest(nil, in: repo) != before.all)
        #expect(try digest([".", "!docs/"], in: repo) == before.noDocs)
        #expect(try digest(["!docs"], in: repo) == before.noDocs)
        #expect(try digest(["src/"], in: repo) == before.src)
        try repo.commit(["src/gen/b.py": "b2\n"])
        #expect(try digest([".", "!docs/"], in: repo) != before.noDocs)
        #expect(try digest(["src/"], in: repo) != before.src)
        #expect(try digest(["src/*.py"], in: repo) == (try digest(["src/*.py"], in: repo, at: "HEAD~1")))
        #expect(try digest(["src/**/*.py"], in: repo) != (try digest(["src/**/*.py"], in: repo, at: "HEAD~1")))
    }

    @Test func aPathAppearingChangesTheDigest() throws {
        let repo = try Self.repository(folders: 1, files: 1)
        let before = try digest(["tests/"], in: repo)
        try repo.commit(["tests/test_a.py": "ok\n"])
        #expect(try digest(["tests/"], in: repo) != before)
    }

    @Test func theKeyFollowsTheDefinitionTheRepositoryPinsAndTheVariablesButNotTheBuild() throws {
        let plan = try Plan(PipelineConfig.parse(Array("""
            jobs:
              a:
                steps: [make]
                repos: [{ url: ../lib.git, ref: main }]
              b:
                steps: [make]
            """.utf8)))
        let digest = ObjectID.blobID(of: Array("inputs".utf8))
        let pin = try #require(ObjectID(hex: String(repeating: "1", count: 40)))
        let other = try #require(ObjectID(hex: String(repeating: "2", count: 40)))
        let a = plan.jobs[0], b = plan.jobs[1]
        #expect(CacheKey.compute(job: a, inputsDigest: digest, repoCommits: [:], variables: [:]) == nil)
        let key = CacheKey.compute(job: a, inputsDigest: digest, repoCommits: ["lib": pin], variables: [:])
        #expect(key?.count == 40)
        #expect(key == CacheKey.compute(job: a, inputsDigest: digest, repoCommits: ["lib": pin], variables: [:]))
        #expect(key != CacheKey.compute(job: a, inputsDigest: digest, repoCommits: ["lib": other], variables: [:]))
        #expect(key != CacheKey.compute(job: a, inputsDigest: digest, repoCommits: ["lib": pin], variables: ["DEPLOY": "1"]))
        #expect(key != CacheKey.compute(job: a, inputsDigest: ObjectID.blobID(of: []), repoCommits: ["lib": pin], variables: [:]))
        let bKey = CacheKey.compute(job: b, inputsDigest: digest, repoCommits: [:], variables: [:])
        #expect(bKey != nil && bKey != key)
        #expect(CacheKey.compute(job: b, inputsDigest: digest, repoCommits: ["lib": pin], variables: [:]) == bKey)
    }
}
