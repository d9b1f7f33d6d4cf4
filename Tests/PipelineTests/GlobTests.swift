import Pipeline
import Testing

/// Branch and path patterns (`branches:`, `when: {branch:}`, `changes:`, `artifacts:`).
@Suite struct GlobTests {
    @Test(arguments: [
        // literal
        ("main", "main"), ("", ""),
        // `*`: within one segment, possibly empty
        ("feature/*", "feature/login"), ("*", "main"), ("*", ""), ("*.whl", "gitci-1.0.whl"),
        ("dist/*.whl", "dist/gitci-1.0.whl"), ("v*.*", "v1.2"),
        // `**`: across segments, `**/` possibly nothing
        ("**", ""), ("**", "a/b/c"), ("feature/**", "feature/a/b"), ("src/**", "src/x/y.py"),
        ("src/**/*.py", "src/a.py"), ("src/**/*.py", "src/x/y/a.py"), ("**/test_*.py", "test_a.py"),
        ("**/test_*.py", "tests/unit/test_a.py"), ("a/**/b", "a/b"), ("a/**/b", "a/x/y/b"), ("a**b", "a/x/b"),
        ("docs/_build/html/**", "docs/_build/html/api/index.html"),
        // `?`: one character that is not `/`
        ("release-?", "release-1"), ("?", "é"), ("r?n", "rün"),
        // everything else literally
        ("[abc]", "[abc]"), ("a.b", "a.b"), ("c++", "c++"), ("{a,b}", "{a,b}"), ("\\*", "\\x"),
    ])
    func matches(pattern: String, text: String) {
        #expect(Glob.matches(pattern, text))
    }

    @Test(arguments: [
        ("main", "main2"), ("main", "mai"), ("main", "Main"), ("", "a"),
        ("feature/*", "feature/a/b"), ("feature/*", "feature"), ("*", "a/b"), ("*.whl", "dist/x.whl"),
        ("src/**", "srcx/a"), ("src/**/*.py", "src/a.txt"), ("src/**/*.py", "lib/a.py"),
        ("**/test_*.py", "tests/a_test_a.py"), ("**/x", "ax"), ("a/**/b", "a/xb"), ("a/**/b", "ab"),
        ("release-?", "release-10"), ("release-?", "release-"), ("a?b", "a/b"),
        ("[abc]", "a"), ("a.b", "axb"), ("{a,b}", "a"),
    ])
    func doesNotMatch(pattern: String, text: String) {
        #expect(!Glob.matches(pattern, text))
    }

    @Test func aPathologicalPatternIsStillQuick() {
        let pattern = String(repeating: "*a", count: 200) + "b"
        let text = String(repeating: "a", count: 20_000)
        let matched = expectFast(within: .seconds(3)) { Glob.matches(pattern, text) }
        #expect(!matched)
        let stars = String(repeating: "**/", count: 200) + "x"
        let path = String(repeating: "d/", count: 2_000) + "x"
        #expect(expectFast(within: .seconds(3)) { Glob.matches(stars, path) })
    }
}

/// Which branches get plan branches.
@Suite struct BranchFilterTests {
    @Test func withoutIncludeEveryBranchIsAdmitted() {
        let filter = BranchFilter()
        #expect(filter.admits("main"))
        #expect(filter.admits("feature/deep/name"))
    }

    @Test func includeAdmitsOnlyMatchingBranchesAndExcludeWins() {
        let filter = BranchFilter(include: ["main", "release/*"], exclude: ["release/old-*"])
        #expect(filter.admits("main"))
        #expect(filter.admits("release/2.0"))
        #expect(!filter.admits("release/old-1.0"))
        #expect(!filter.admits("feature/x"))
        #expect(!filter.admits("release/2.0/fix"))
    }

    @Test func anEmptyIncludeAdmitsNothing() {
        #expect(!BranchFilter(include: []).admits("main"))
    }

    @Test func excludeAloneRemovesFromEverything() {
        let filter = BranchFilter(exclude: ["wip/**"])
        #expect(filter.admits("main"))
        #expect(!filter.admits("wip/a/b"))
    }

    @Test func theFileFilterIsTheOneUsed() throws {
        let config = try parse("""
            branches:
              include: ["main", "feature/*"]
              exclude: ["feature/wip-*"]
            jobs: { a: { steps: [x] } }
            """)
        #expect(config.branches.admits("feature/login"))
        #expect(!config.branches.admits("feature/wip-login"))
        #expect(!config.branches.admits("hotfix"))
    }
}
