import Pipeline
import Testing

/// `inputs:` glob semantics, and the canonical text of a job's definition (the pipeline's part
/// of its cache key).
@Suite struct InputPatternsTests {
    @Test func noInputsSelectTheWholeTreeTakenAtTheRoot() {
        let patterns = InputPatterns(nil)
        #expect(patterns.starts == [""])
        #expect(patterns.verdict(path: "", isTree: true) == .take)
        #expect(patterns.selects(file: "anything/at/all.txt"))
    }

    @Test func aPlainPathIsLookedUpAndTakenWhole() {
        let patterns = InputPatterns(["src/", "./pyproject.toml", "/tests"])
        #expect(patterns.starts == ["src", "pyproject.toml", "tests"])
        #expect(patterns.verdict(path: "src", isTree: true) == .take)
        #expect(patterns.verdict(path: "pyproject.toml", isTree: false) == .take)
        #expect(patterns.selects(file: "src/deep/a.py"))
        #expect(!patterns.selects(file: "srcx/a.py"))
        #expect(!patterns.selects(file: "docs/index.md"))
    }

    @Test func exclusionsOpenOnlyTheFoldersOnTheirWay() {
        let patterns = InputPatterns([".", "!docs/", "!src/generated"])
        #expect(patterns.verdict(path: "", isTree: true) == .descend)
        #expect(patterns.verdict(path: "docs", isTree: true) == .skip)
        #expect(patterns.verdict(path: "src", isTree: true) == .descend)
        #expect(patterns.verdict(path: "src/generated", isTree: true) == .skip)
        #expect(patterns.verdict(path: "src/lib", isTree: true) == .take)
        #expect(patterns.verdict(path: "tests", isTree: true) == .take)
        #expect(!patterns.selects(file: "docs/a.md"))
        #expect(patterns.selects(file: "README.md"))
    }

    @Test func exclusionsAloneSelectTheRestOfTheTree() {
        let patterns = InputPatterns(["!docs/"])
        #expect(patterns.includes == [""])
        #expect(patterns.selects(file: "src/a.py"))
        #expect(!patterns.selects(file: "docs/a.md"))
    }

    @Test func aStarStaysInOneFolderAndTwoStarsCrossFolders() {
        let top = InputPatterns(["*.py"])
        #expect(top.starts == [""])
        #expect(top.selects(file: "setup.py"))
        #expect(!top.selects(file: "src/a.py"))
        // `*.py` can only select files at the top: no folder is opened.
        #expect(top.verdict(path: "src", isTree: true) == .skip)

        let deep = InputPatterns(["src/**/*.py"])
        #expect(deep.starts == ["src"])
        #expect(deep.verdict(path: "src", isTree: true) == .descend)
        #expect(deep.selects(file: "src/a.py"))
        #expect(deep.selects(file: "src/x/y/b.py"))
        #expect(!deep.selects(file: "src/x/notes.txt"))

        let everything = InputPatterns(["src/**"])
        #expect(everything.selects(file: "src/x/y/z"))
        #expect(!everything.selects(file: "tests/a"))
    }

    @Test func aGlobThatMatchesAFolderSelectsAllOfIt() {
        let patterns = InputPatterns(["packages/*", "!packages/legacy*"])
        #expect(patterns.verdict(path: "packages/core", isTree: true) == .take)
        #expect(patterns.verdict(path: "packages/legacy-v1", isTree: true) == .skip)
        #expect(patterns.selects(file: "packages/core/src/main.swift"))
        #expect(!patterns.selects(file: "packages/legacy-v1/a"))
    }

    @Test func entriesThatLeaveTheRepositoryAreConfigurationErrors() {
        #expect(InputPatterns.problem("../other") != nil)
        #expect(InputPatterns.problem("!src/../../x") != nil)
        #expect(InputPatterns.problem("!") != nil)
        #expect(InputPatterns.problem("src/") == nil)
        let yaml = """
            jobs:
              a:
                steps: [x]
                inputs: [src/, ../secrets]
                changes: ["!"]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:4:20: '../secrets' in 'inputs' of job 'a' leaves the repository ('..')",
            ".gitci.yml:5:15: '!' in 'changes' of job 'a' is empty",
        ])
    }

    @Test func changesBaseIsReadAsText() throws {
        let config = try parse("""
            jobs:
              a:
                steps: [x]
                changes: [src/**]
                changes_base: release/1.x
            """)
        #expect(config.jobs[0].changes == ["src/**"])
        #expect(config.jobs[0].changesBase == "release/1.x")
    }
}

@Suite struct JobDefinitionTests {
    static let base = """
        env: { MODE: fast }
        jobs:
          test:
            matrix: { python: ["3.11", "3.12"] }
            env: { A: "1", B: "2" }
            steps:
              - pytest -q
              - { name: lint, run: ruff check ., timeout: 5m }
            labels: [linux]
            inputs: [src/, "!docs/"]
            artifacts: [dist/*.whl]
            needs: []
        """

    func texts(_ yaml: String) throws -> [String] {
        try plan(yaml).jobs.map(JobDefinition.canonicalText(of:))
    }

    @Test func theTextIsVersionedAndLengthPrefixed() throws {
        let text = try #require(try texts(Self.base).first)
        #expect(text.hasPrefix("gitci-job-definition 1:2\n"))
        #expect(text.contains("name 18:test (python=3.11)\n"))
        #expect(text.contains("step 9:pytest -q 9:pytest -q 1:- 1:- 7:success 1:-\n"))
        #expect(text.contains("step 4:lint 12:ruff check . 3:300 1:- 7:success 1:-\n"))
        #expect(text.contains("shell 1:-\n"))
        #expect(text.contains("env 4:MODE 4:fast\nenv 1:A 1:1\nenv 1:B 1:2\n"))
        #expect(text.contains("matrix 6:python 4:3.11\n"))
        #expect(text.contains("inputs 4:src/ 6:!docs/\n"))
    }

    @Test func everyMatrixCombinationHasItsOwnText() throws {
        let all = try texts(Self.base)
        #expect(all.count == 2)
        #expect(all[0] != all[1])
    }

    @Test func whatChangesWhatRunsChangesTheText() throws {
        let original = try texts(Self.base)
        for changed in [
            Self.base.replacingOccurrences(of: "pytest -q", with: "pytest -x"),
            Self.base.replacingOccurrences(of: "B: \"2\"", with: "B: \"3\""),
            Self.base.replacingOccurrences(of: "A: \"1\", B: \"2\"", with: "B: \"2\", A: \"1\""),
            Self.base.replacingOccurrences(of: "MODE: fast", with: "MODE: slow"),
            Self.base.replacingOccurrences(of: "timeout: 5m", with: "timeout: 6m"),
            Self.base.replacingOccurrences(of: "[linux]", with: "[linux, gpu]"),
            Self.base.replacingOccurrences(of: "\"!docs/\"", with: "\"!doc/\""),
            Self.base.replacingOccurrences(of: "dist/*.whl", with: "dist/*.tar.gz"),
            Self.base.replacingOccurrences(of: "needs: []", with: "needs: []\n    shell: sh"),
            Self.base.replacingOccurrences(of: "timeout: 5m }", with: "timeout: 5m, shell: bash }"),
            Self.base.replacingOccurrences(of: "timeout: 5m }", with: "timeout: 5m, if: always }"),
            Self.base.replacingOccurrences(of: "timeout: 5m }", with: "timeout: 5m, allow_failure: true }"),
        ] {
            #expect(try texts(changed) != original, "\(changed)")
        }
    }

    @Test func whatOnlyDecidesWhetherItRunsLeavesTheTextAlone() throws {
        let original = try texts(Self.base)
        let changed = Self.base.replacingOccurrences(of: "needs: []", with: """
            needs: []
                allow_failure: true
                changes: [src/**]
                when: { branch: [main] }
            """)
        #expect(try texts(changed) == original)
    }
}

extension JobDefinitionTests {
    @Test func everyJobKeyIsEitherInTheTextOrLeftOutOnPurpose() {
        #expect(JobDefinition.keysInText.isDisjoint(with: JobDefinition.keysLeftOut))
        #expect(JobDefinition.keysInText.union(JobDefinition.keysLeftOut) == Set(PipelineConfig.jobKeys))
    }
}
