import Pipeline
import Testing

/// What `gitci validate` prints for broken files: every problem at once, each as
/// `.gitci.yml:LINE:COL: message`, pointing at the exact place to fix.
@Suite struct ConfigErrorTests {
    // MARK: - YAML syntax

    @Test func aSecondColonOnOneLineIsASyntaxErrorAtThatColon() {
        #expect(problems("jobs:\n  a: b: c\n") == [
            ".gitci.yml:2:7: YAML syntax error: mapping values are not allowed in this context",
        ])
    }

    @Test func aTabUsedForIndentationIsASyntaxErrorAtTheTab() {
        #expect(problems("jobs:\n  a:\n\tsteps: [x]\n") == [
            ".gitci.yml:3:1: YAML syntax error: found character that cannot start any token while scanning for the next token (a tab: YAML is indented with spaces only)",
        ])
    }

    @Test func anUnclosedListSaysWhereItStarted() {
        // libyaml notices at the end of the file; the user needs the bracket that was never closed.
        #expect(problems("jobs:\n  a:\n    steps: [echo\n") == [
            ".gitci.yml:4:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence that starts at 3:12",
        ])
    }

    @Test func aKeyIndentedBetweenTwoLevelsSaysWhichMappingItBreaks() {
        #expect(problems("jobs:\n  a:\n    steps: [x]\n   b: 1\n") == [
            ".gitci.yml:4:4: YAML syntax error: did not find expected key while parsing a block mapping that starts at 2:3",
        ])
    }

    @Test func anUnterminatedQuoteSaysWhereItStarted() {
        #expect(problems("jobs:\n  a:\n    steps: [\"echo]\n") == [
            ".gitci.yml:4:1: YAML syntax error: found unexpected end of stream while scanning a quoted scalar that starts at 3:13",
        ])
    }

    @Test func aDuplicateKeyIsReportedWhereItIsRepeated() {
        let yaml = """
            jobs:
              a:
                steps: [x]
              b:
                steps: [y]
                steps: [z]
              a:
                steps: [z]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:6:5: duplicate key 'steps'; the first is at 5:5",
            ".gitci.yml:7:3: duplicate key 'a'; the first is at 2:3",
        ])
    }

    @Test func anUndefinedAliasIsReportedWhereItIsUsed() {
        #expect(problems("jobs:\n  a:\n    steps: *nope\n") == [
            ".gitci.yml:3:12: YAML syntax error: found undefined alias",
        ])
    }

    @Test func severalDocumentsInOneFileAreRefused() {
        #expect(problems("jobs:\n  a:\n    steps: [x]\n---\njobs: {}\n") == [
            ".gitci.yml:4:1: YAML syntax error: expected a single document in the stream but found another document",
        ])
    }

    // MARK: - Unknown keys

    @Test func unknownKeysAreReportedWithTheClosestKnownKey() {
        let yaml = """
            stagez: [a]
            jobs:
              a:
                stepz: [x]
                frobnicate: 1
                steps:
                  - { nmae: t, run: x }
                when: { branches: [main] }
                repos: [{ url: x, reff: y }]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:1:1: unknown key 'stagez' in the pipeline file; did you mean 'stages'?",
            ".gitci.yml:4:5: unknown key 'stepz' in job 'a'; did you mean 'steps'?",
            ".gitci.yml:5:5: unknown key 'frobnicate' in job 'a'",
            ".gitci.yml:7:11: unknown key 'nmae' in step 1 of 'steps' of job 'a'; did you mean 'name'?",
            ".gitci.yml:8:13: unknown key 'branches' in 'when' of job 'a'; did you mean 'branch'?",
            ".gitci.yml:9:23: unknown key 'reff' in an entry of 'repos' of job 'a'; did you mean 'ref'?",
        ])
    }

    @Test func whenTagIsCheckedLikeWhenBranch() {
        let yaml = """
            jobs:
              a:
                steps: [x]
                when: { tags: [v*] }
              b:
                steps: [x]
                when: { branch: [main], tag: { v: 1 } }
            """
        #expect(problems(yaml) == [
            ".gitci.yml:4:13: unknown key 'tags' in 'when' of job 'a'; did you mean 'tag'?",
            ".gitci.yml:7:34: 'tag' of 'when' of job 'b' must be a list of texts, not a mapping",
        ])
    }

    @Test(arguments: [("stpes", "steps"), ("neds", "needs"), ("Steps", "steps"), ("alow_failure", "allow_failure"), ("artefacts", "artifacts")])
    func typosGetASuggestion(typo: String, meant: String) {
        let yaml = "jobs:\n  a:\n    steps: [x]\n    \(typo): 1\n"
        #expect(problems(yaml) == [
            ".gitci.yml:4:5: unknown key '\(typo)' in job 'a'; did you mean '\(meant)'?",
        ])
    }

    // MARK: - Types and values

    @Test func everyValueOfTheWrongTypeIsReportedAtTheValue() {
        let yaml = """
            stages: { a: 1 }
            env: [A]
            jobs:
              a:
                steps: { run: x }
                timeout: [1]
                allow_failure: maybe
                needs: { b: 1 }
                labels: [[linux]]
                matrix: [1, 2]
                repos: x
                when: [main]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:1:9: 'stages' must be a list of texts, not a mapping",
            ".gitci.yml:2:6: 'env' must be a mapping, not a list",
            ".gitci.yml:5:12: 'steps' of job 'a' must be a list of commands, not a mapping",
            ".gitci.yml:6:14: 'timeout' of job 'a' must be text, not a list",
            ".gitci.yml:7:20: 'allow_failure' of job 'a' must be true or false, not 'maybe'",
            ".gitci.yml:8:12: 'needs' of job 'a' must be a list of texts, not a mapping",
            ".gitci.yml:9:14: each entry of 'labels' of job 'a' must be text, not a list",
            ".gitci.yml:10:13: 'matrix' of job 'a' must be a mapping, not a list",
            ".gitci.yml:11:12: 'repos' of job 'a' must be a list of {url, ref, path}, not 'x'",
            ".gitci.yml:12:11: 'when' of job 'a' must be a mapping, not a list",
        ])
    }

    @Test func pathAndNameListsMustBeListsOfTexts() {
        let yaml = """
            tags: { v: 1 }
            interruptible: sometimes
            jobs:
              a:
                steps: [x]
                inputs: { src: 1 }
                changes: [[src]]
                artifacts: { a: 1 }
                junit: [{ path: r.xml }]
                secrets: { TOKEN: 1 }
                env: [A=1]
                repos: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:1:7: 'tags' must be a list of texts, not a mapping",
            ".gitci.yml:2:16: 'interruptible' must be true or false, not 'sometimes'",
            ".gitci.yml:6:13: 'inputs' of job 'a' must be a list of texts, not a mapping",
            ".gitci.yml:7:15: each entry of 'changes' of job 'a' must be text, not a list",
            ".gitci.yml:8:16: 'artifacts' of job 'a' must be a list of texts, not a mapping",
            ".gitci.yml:9:13: each entry of 'junit' of job 'a' must be text, not a mapping",
            ".gitci.yml:10:14: 'secrets' of job 'a' must be a list of texts, not a mapping",
            ".gitci.yml:11:10: 'env' of job 'a' must be a mapping, not a list",
            ".gitci.yml:12:13: an entry of 'repos' of job 'a' must be a mapping, not 'x'",
        ])
    }

    @Test func jobsAndJobBodiesMustBeMappings() {
        #expect(problems("jobs: [a, b]\n") == [".gitci.yml:1:7: 'jobs' must be a mapping, not a list"])
        #expect(problems("jobs:\n  a: make\n") == [".gitci.yml:2:6: job 'a' must be a mapping, not 'make'"])
    }

    @Test func badDurationsSayWhatADurationLooksLike() {
        let yaml = """
            jobs:
              a:
                timeout: 10 minutes
                steps:
                  - { run: x, timeout: 0 }
            """
        #expect(problems(yaml) == [
            ".gitci.yml:3:14: 'timeout' of job 'a' '10 minutes' is not a duration such as 90s, 10m, 1h30m (at most a year)",
            ".gitci.yml:5:28: 'timeout' of step 1 of 'steps' of job 'a' '0' is not a duration such as 90s, 10m, 1h30m (at most a year)",
        ])
    }

    @Test func namesThatBecomeEnvironmentVariablesMustBeValidNames() {
        let yaml = """
            env: { 1A: x, OK_1: y }
            jobs:
              a:
                steps: [x]
                secrets: [PYPI_TOKEN, bad-name]
                matrix: { py-version: [1] }
            """
        #expect(problems(yaml) == [
            ".gitci.yml:1:8: '1A' in 'env' is not a valid environment variable name",
            ".gitci.yml:5:27: secret 'bad-name' in job 'a' is not a valid environment variable name",
            ".gitci.yml:6:15: matrix axis 'py-version' in 'matrix' of job 'a' must be a valid environment variable name (letters, digits, _)",
        ])
    }

    @Test func stepsMustExistAndRunSomething() {
        let yaml = """
            jobs:
              none:
                stage: test
              empty:
                steps: []
              nameOnly:
                steps:
                  - { name: build }
            """
        #expect(problems(yaml) == [
            ".gitci.yml:2:3: job 'none' has no 'steps'",
            ".gitci.yml:4:3: job 'empty' has an empty 'steps' list",
            ".gitci.yml:8:9: step 1 of 'steps' of job 'nameOnly' has no 'run' command",
        ])
    }

    @Test func aStepsListOfTheWrongTypeIsNotAlsoCalledEmpty() {
        #expect(problems("jobs:\n  a:\n    steps: {run: x}\n") == [
            ".gitci.yml:3:12: 'steps' of job 'a' must be a list of commands, not a mapping",
        ])
    }

    @Test func onlyToxIsAGenerator() {
        #expect(problems("jobs:\n  a:\n    from: nox\n    steps: [x]\n") == [
            ".gitci.yml:3:11: 'from' of job 'a' must be 'tox' (the only generator gitci knows), not 'nox'",
        ])
        // Without steps, the misspelt generator is the one mistake, not also "no steps".
        #expect(problems("jobs:\n  a:\n    from: nox\n") == [
            ".gitci.yml:3:11: 'from' of job 'a' must be 'tox' (the only generator gitci knows), not 'nox'",
        ])
    }

    @Test func anExcludeEntryWithAMistakeIsNotHalfApplied() {
        let yaml = """
            jobs:
              t:
                matrix:
                  os: [linux]
                  exclude: [{ os: linux, bad-key: x }]
                steps: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:5:30: matrix key 'bad-key' in 'exclude' of 'matrix' of job 't' must be a valid environment variable name",
        ])
    }

    /// A path that leaves the workspace fails that job alone when it starts (issue 20), not the
    /// whole pipeline; an entry without a URL is not an entry at all.
    @Test func aReposEntryNeedsAURL() {
        let yaml = """
            jobs:
              a:
                steps: [x]
                repos:
                  - { url: ../lib.git, path: ../../etc }
                  - { path: lib }
            """
        #expect(problems(yaml) == [
            ".gitci.yml:6:9: an entry of 'repos' of job 'a' has no 'url'",
        ])
    }

    @Test func jobNamesMustBePrintable() {
        let yaml = "jobs:\n  \"\": {steps: [x]}\n  \"a\\tb\": {steps: [x]}\n"
        #expect(problems(yaml) == [
            ".gitci.yml:2:3: job '': a job name must not be empty",
            #".gitci.yml:3:3: job 'a\tb': a job name must not contain control characters"#,
        ])
    }

    @Test func aPipelineNeedsJobs() {
        #expect(problems("stages: [a]\n") == [".gitci.yml:1:1: the pipeline has no 'jobs' mapping"])
        #expect(problems("jobs: {}\n") == [".gitci.yml:1:7: 'jobs' must define at least one job"])
        #expect(problems("jobs:\n  .template: {steps: [x]}\n") == [".gitci.yml:2:3: 'jobs' must define at least one job"])
    }

    // MARK: - Stages

    @Test func anUnknownStageListsTheStagesAndSuggestsTheClosest() {
        let yaml = """
            stages: [build, test]
            jobs:
              a:
                stage: tset
                steps: [x]
              b:
                stage: deploy
                steps: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:4:12: job 'a' is in stage 'tset', which is not in 'stages' (build, test); did you mean 'test'?",
            ".gitci.yml:7:12: job 'b' is in stage 'deploy', which is not in 'stages' (build, test)",
        ])
    }

    @Test func aJobWithoutAStageNeedsTheDefaultStageToExist() {
        #expect(problems("stages: [check]\njobs:\n  lint:\n    steps: [x]\n") == [
            ".gitci.yml:3:3: job 'lint' has no 'stage', and the default stage 'test' is not in 'stages'",
        ])
    }

    @Test func stagesMustBeDistinctAndNotEmpty() {
        #expect(problems("stages: [a, b, a]\njobs:\n  j: {stage: a, steps: [x]}\n") == [
            ".gitci.yml:1:16: stage 'a' is listed twice",
        ])
        #expect(problems("stages: []\njobs:\n  j: {steps: [x]}\n") == [
            ".gitci.yml:1:9: 'stages' must name at least one stage",
            ".gitci.yml:3:3: job 'j' has no 'stage', and the default stage 'test' is not in 'stages'",
        ])
    }

    // MARK: - Needs

    @Test func needsNamingAMissingJobPointsAtTheName() {
        let yaml = """
            jobs:
              build:
                steps: [x]
              test:
                needs: [biuld, lint]
                steps: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:5:13: job 'test' needs 'biuld', which is not a job of this pipeline; did you mean 'build'?",
            ".gitci.yml:5:20: job 'test' needs 'lint', which is not a job of this pipeline",
        ])
    }

    @Test func aNeedsCycleIsNamedInNeedsOrder() {
        let yaml = """
            jobs:
              a:
                needs: [c]
                steps: [x]
              b:
                needs: [a]
                steps: [x]
              c:
                needs: [b]
                steps: [x]
            """
        // a needs c, c needs b, b needs a.
        #expect(problems(yaml) == [".gitci.yml:3:13: needs cycle: a → c → b → a"])
    }

    @Test func aJobThatNeedsItselfIsACycle() {
        #expect(problems("jobs:\n  a:\n    needs: [a]\n    steps: [x]\n") == [
            ".gitci.yml:3:13: needs cycle: a → a",
        ])
    }

    @Test func aCycleThroughStageOrderPointsAtTheNeedThatCloses() {
        // `b` waits for stage `one` (so for `a`); `a` needs `b`: neither can start.
        let yaml = """
            stages: [one, two]
            jobs:
              a:
                stage: one
                needs: [x, b]
                steps: [x]
              b:
                stage: two
                steps: [x]
              x:
                stage: one
                steps: [x]
            """
        #expect(problems(yaml) == [".gitci.yml:5:16: needs cycle: a → b → a"])
    }

    @Test func everyIndependentCycleIsReported() {
        let yaml = """
            jobs:
              a: { needs: [b], steps: [x] }
              b: { needs: [a], steps: [x] }
              c: { needs: [d], steps: [x] }
              d: { needs: [c], steps: [x] }
            """
        #expect(problems(yaml) == [
            ".gitci.yml:2:16: needs cycle: a → b → a",
            ".gitci.yml:4:16: needs cycle: c → d → c",
        ])
    }

    // MARK: - Matrix

    @Test func anEmptyMatrixIsAnError() {
        let yaml = """
            jobs:
              empty:
                matrix: {}
                steps: [x]
              noValues:
                matrix:
                  python: []
                steps: [x]
              allExcluded:
                matrix:
                  python: ["3.12"]
                  exclude: [{ python: "3.12" }]
                steps: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:3:13: the matrix of job 'empty' has no axes: the matrix is empty",
            ".gitci.yml:7:7: matrix axis 'python' in 'matrix' of job 'noValues' has no values: the matrix is empty",
            ".gitci.yml:11:7: every combination of the matrix of job 'allExcluded' is excluded: the matrix is empty",
        ])
    }

    @Test func aMatrixOfMoreThan256JobsIsRefused() {
        let seventeen = (1...17).map(String.init).joined(separator: ", ")
        let sixteen = (1...16).map(String.init).joined(separator: ", ")
        let many = (1...300).map(String.init).joined(separator: ", ")
        let yaml = """
            jobs:
              big:
                matrix:
                  a: [\(seventeen)]
                  b: [\(sixteen)]
                steps: [x]
              huge:
                matrix: { a: [\(many)], b: [\(many)], c: [\(many)] }
                steps: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:4:7: the matrix of job 'big' has 272 combinations; the limit is 256",
            ".gitci.yml:8:13: the matrix of job 'huge' has more than 256 combinations (the limit)",
        ])
    }

    @Test func aMatrixOfExactly256JobsIsAllowedAndOneIncludeMoreIsNot() throws {
        let sixteen = (1...16).map(String.init).joined(separator: ", ")
        let yaml = "jobs:\n  t:\n    matrix:\n      a: [\(sixteen)]\n      b: [\(sixteen)]\n    steps: [x]\n"
        #expect(try plan(yaml).jobs.count == 256)
        #expect(problems(yaml.replacingOccurrences(of: "    steps", with: "      include: [{ a: \"17\" }]\n    steps")) == [
            ".gitci.yml:4:7: the matrix of job 't' has 257 combinations; the limit is 256",
        ])
    }

    @Test func aMatrixValueTwiceInOneAxisIsAnError() {
        #expect(problems("jobs:\n  t:\n    matrix: { python: [\"3.12\", \"3.12\"] }\n    steps: [x]\n") == [
            ".gitci.yml:3:32: value '3.12' appears twice in matrix axis 'python'",
        ])
    }

    @Test func aDuplicateJobNameAfterExpansionNamesBothJobs() {
        let yaml = """
            jobs:
              test:
                matrix: { python: ["3.11", "3.12"] }
                steps: [x]
              test (python=3.12):
                steps: [x]
              twice:
                matrix: { include: [{ v: "1" }, { v: "1" }] }
                steps: [x]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:5:3: job name 'test (python=3.12)' is produced by job 'test' and job 'test (python=3.12)'; job names must be unique after matrix expansion",
            ".gitci.yml:7:3: job name 'twice (v=1)' is produced twice by job 'twice'; job names must be unique after matrix expansion",
        ])
    }

    // MARK: - All at once

    @Test func everyKindOfErrorInOneFileComesBackAtOnce() {
        let yaml = """
            jobs:
              lint:
                stepz: [ruff]
                steps: [ruff]
              test:
                stage: tests
                needs: [lnt]
                matrix: {}
                steps: [pytest]
              a:
                needs: [b]
                steps: [x]
              b:
                needs: [a]
                steps: [x]
            """
        let expected = [
            ".gitci.yml:3:5: unknown key 'stepz' in job 'lint'; did you mean 'steps'?",
            ".gitci.yml:6:12: job 'test' is in stage 'tests', which is not in 'stages' (build, test, deploy); did you mean 'test'?",
            ".gitci.yml:7:13: job 'test' needs 'lnt', which is not a job of this pipeline; did you mean 'lint'?",
            ".gitci.yml:8:13: the matrix of job 'test' has no axes: the matrix is empty",
            ".gitci.yml:11:13: needs cycle: a → b → a",
        ]
        #expect(problems(yaml) == expected)
        // The same list comes straight from parsing, as `gitci validate` prints it.
        let error = #expect(throws: ConfigError.self) { try parse(yaml) }
        #expect(error?.description == expected.joined(separator: "\n"))
    }

    @Test func aJobWithABrokenBodyIsStillAJobForNeeds() {
        let yaml = """
            jobs:
              build: make
              test:
                needs: [build]
                steps: [x]
            """
        #expect(problems(yaml) == [".gitci.yml:2:10: job 'build' must be a mapping, not 'make'"])
    }

    @Test func aJobWithABrokenMatrixIsStillAJobForNeeds() throws {
        let yaml = """
            jobs:
              build:
                matrix: {}
                steps: [x]
              test:
                needs: [build]
                steps: [x]
            """
        #expect(problems(yaml) == [".gitci.yml:3:13: the matrix of job 'build' has no axes: the matrix is empty"])
    }

    @Test func aFloodOfErrorsIsCutAfter200() {
        let yaml = (1...300).map { "unknown\($0): 1\n" }.joined() + "jobs: {a: {steps: [x]}}\n"
        let lines = problems(yaml)
        #expect(lines.count == 201)
        #expect(lines.first == ".gitci.yml:1:1: unknown key 'unknown1' in the pipeline file")
        #expect(lines.last == ".gitci.yml:200:1: 100 more errors not shown")
    }

    @Test func errorsComeInFileOrderWhateverFoundThem() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse("jobs:\n  z:\n    stepz: 1\n    steps: [x]\n  a:\n    neds: 1\n    steps: [x]\nextra: 1\n")
        }
        #expect(error.diagnostics.map(\.location.line) == [3, 6, 8])
        #expect(error.diagnostics.map(\.location.column) == [5, 5, 1])
        #expect(error.diagnostics.map(\.message) == [
            "unknown key 'stepz' in job 'z'; did you mean 'steps'?",
            "unknown key 'neds' in job 'a'; did you mean 'needs'?",
            "unknown key 'extra' in the pipeline file",
        ])
    }

    // MARK: - One problem, one line

    @Test func userTextWithLineBreaksCannotSplitADiagnostic() {
        let yaml = "\"bad\\nkey\": 1\njobs:\n  \"a\\nb\": {steps: [x]}\n"
        let lines = problems(yaml)
        #expect(lines == [
            #".gitci.yml:1:1: unknown key 'bad\nkey' in the pipeline file"#,
            #".gitci.yml:3:3: job 'a\nb': a job name must not contain control characters"#,
        ])
        #expect(lines.allSatisfy { !$0.contains("\n") })
    }

    @Test func columnsCountCharactersNotBytes() {
        #expect(problems("jobs:\n  é:\n    steps: [x]\n    ñope: 1\n  ü: { steps: [x], ünknown: 1 }\n") == [
            ".gitci.yml:4:5: unknown key 'ñope' in job 'é'",
            ".gitci.yml:5:20: unknown key 'ünknown' in job 'ü'",
        ])
    }

    @Test func windowsLineEndingsAndAByteOrderMarkKeepPositions() {
        #expect(problems("jobs:\r\n  a:\r\n    stepz: [x]\r\n    steps: [x]\r\n") == [
            ".gitci.yml:3:5: unknown key 'stepz' in job 'a'; did you mean 'steps'?",
        ])
        #expect(problems("\u{FEFF}jobz:\n  a: {steps: [x]}\njobs: {a: {steps: [x]}}\n") == [
            ".gitci.yml:1:1: unknown key 'jobz' in the pipeline file; did you mean 'jobs'?",
        ])
    }
}
