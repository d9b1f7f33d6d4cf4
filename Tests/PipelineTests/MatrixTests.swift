import Pipeline
import Testing

/// Matrix expansion: which jobs a matrix produces, how they are named, and which values they get.
@Suite struct MatrixTests {
    static let twoAxes = """
        jobs:
          test:
            matrix:
              os: [linux, mac]
              python: ["3.11", "3.12"]
        %EXTRA%
            steps: [pytest]
        """

    func expand(_ extra: String = "") throws -> [String] {
        try plan(Self.twoAxes.replacingOccurrences(of: "%EXTRA%\n", with: extra)).jobs.map(\.name)
    }

    @Test func theCrossProductIsInAxisOrderAndNamedByItsValues() throws {
        let plan = try plan(Self.twoAxes.replacingOccurrences(of: "%EXTRA%\n", with: ""))
        #expect(plan.jobs.map(\.name) == [
            "test (os=linux, python=3.11)",
            "test (os=linux, python=3.12)",
            "test (os=mac, python=3.11)",
            "test (os=mac, python=3.12)",
        ])
        #expect(plan.jobs.allSatisfy { $0.baseName == "test" })
        #expect(plan.jobs[2].matrix == [
            EnvironmentVariable(name: "os", value: "mac"),
            EnvironmentVariable(name: "python", value: "3.11"),
        ])
    }

    @Test func oneAxisNamesTheJobByThatAxis() throws {
        let plan = try plan("jobs:\n  test:\n    matrix: { python: [\"3.12\"] }\n    steps: [x]\n")
        #expect(plan.jobs.map(\.name) == ["test (python=3.12)"])
    }

    @Test func matrixValuesReachStepsAsEnvironmentNotAsText() throws {
        let plan = try plan("""
            env: { CI: "1" }
            jobs:
              test:
                matrix: { python: [3.10] }
                env: { LEVEL: debug }
                steps: ["python$python -m pytest"]
            """)
        let job = try #require(plan.jobs.first)
        #expect(job.matrix == [EnvironmentVariable(name: "python", value: "3.10")], "3.10 stays 3.10, not 3.1")
        #expect(PlannedJob.matrixVariableName("python") == "GITCI_MATRIX_PYTHON")
        #expect(job.steps.map(\.run) == ["python$python -m pytest"], "no text substitution into the command")
        #expect(job.environment.map(\.name) == ["CI", "LEVEL"], "matrix values are kept apart from env:")
    }

    // MARK: - exclude

    @Test func excludeRemovesEveryCombinationItMatches() throws {
        #expect(try expand("      exclude: [{ os: mac }]\n") == [
            "test (os=linux, python=3.11)",
            "test (os=linux, python=3.12)",
        ])
        #expect(try expand("      exclude: [{ os: mac, python: \"3.11\" }, { os: linux, python: \"3.12\" }]\n") == [
            "test (os=linux, python=3.11)",
            "test (os=mac, python=3.12)",
        ])
    }

    @Test func excludeOfAValueNoAxisHasRemovesNothing() throws {
        #expect(try expand("      exclude: [{ python: \"3.13\" }, { arch: arm }]\n").count == 4)
    }

    @Test func anEmptyExcludeEntryIsAnErrorRatherThanExcludingEverything() {
        #expect(problems(Self.twoAxes.replacingOccurrences(of: "%EXTRA%\n", with: "      exclude: [{}]\n")) == [
            ".gitci.yml:6:17: an entry of 'exclude' of 'matrix' of job 'test' is empty",
        ])
    }

    // MARK: - include

    @Test func includeExtendsTheCombinationsItAgreesWith() throws {
        #expect(try expand("      include: [{ python: \"3.12\", experimental: \"true\" }]\n") == [
            "test (os=linux, python=3.11)",
            "test (os=linux, python=3.12, experimental=true)",
            "test (os=mac, python=3.11)",
            "test (os=mac, python=3.12, experimental=true)",
        ])
    }

    @Test func includeWithOnlyNewKeysExtendsEveryCombination() throws {
        // GitHub Actions semantics: an entry that overwrites no axis value is added to every combination.
        #expect(try expand("      include: [{ arch: x64 }]\n") == [
            "test (os=linux, python=3.11, arch=x64)",
            "test (os=linux, python=3.12, arch=x64)",
            "test (os=mac, python=3.11, arch=x64)",
            "test (os=mac, python=3.12, arch=x64)",
        ])
    }

    @Test func theGitHubActionsDocumentationExampleExpandsAsDocumented() throws {
        // docs.github.com "Expanding or adding matrix configurations": include entries extend the
        // cross product only, never a combination an earlier include created.
        let plan = try plan("""
            jobs:
              t:
                matrix:
                  fruit: [apple, pear]
                  animal: [cat, dog]
                  include:
                    - color: green
                    - color: pink
                      animal: cat
                    - fruit: apple
                      shape: circle
                    - fruit: banana
                    - fruit: banana
                      animal: cat
                steps: [x]
            """)
        #expect(plan.jobs.map(\.name) == [
            "t (fruit=apple, animal=cat, color=pink, shape=circle)",
            "t (fruit=apple, animal=dog, color=green, shape=circle)",
            "t (fruit=pear, animal=cat, color=pink)",
            "t (fruit=pear, animal=dog, color=green)",
            "t (fruit=banana)",
            "t (fruit=banana, animal=cat)",
        ])
    }

    @Test func includeThatMatchesNothingIsACombinationOfItsOwn() throws {
        #expect(try expand("      include: [{ os: windows, python: \"3.12\" }]\n") == [
            "test (os=linux, python=3.11)",
            "test (os=linux, python=3.12)",
            "test (os=mac, python=3.11)",
            "test (os=mac, python=3.12)",
            "test (os=windows, python=3.12)",
        ])
    }

    @Test func includeAddsBackWhatExcludeRemoved() throws {
        #expect(try expand("      exclude: [{ os: mac }]\n      include: [{ os: mac, python: \"3.12\" }]\n") == [
            "test (os=linux, python=3.11)",
            "test (os=linux, python=3.12)",
            "test (os=mac, python=3.12)",
        ])
    }

    @Test func aLaterIncludeOverridesAValueAnEarlierIncludeAdded() throws {
        let plan = try plan(Self.twoAxes.replacingOccurrences(
            of: "%EXTRA%\n",
            with: "      include: [{ python: \"3.12\", tier: a }, { python: \"3.12\", os: mac, tier: b }]\n"))
        #expect(plan.jobs.map(\.name) == [
            "test (os=linux, python=3.11)",
            "test (os=linux, python=3.12, tier=a)",
            "test (os=mac, python=3.11)",
            "test (os=mac, python=3.12, tier=b)",
        ])
        #expect(plan.jobs[3].matrix.map { "\($0.name)=\($0.value)" } == ["os=mac", "python=3.12", "tier=b"])
    }

    @Test func aMatrixOfIncludesAloneListsItsCombinations() throws {
        let plan = try plan("""
            jobs:
              build:
                matrix:
                  include:
                    - { target: arm64, cc: clang }
                    - { target: x86_64, cc: gcc }
                steps: [make]
            """)
        #expect(plan.jobs.map(\.name) == ["build (target=arm64, cc=clang)", "build (target=x86_64, cc=gcc)"])
    }

    // MARK: - Values that would make bad job names

    @Test func aMatrixValueWithALineBreakIsRefused() {
        #expect(problems("jobs:\n  t:\n    matrix: { v: [ok, \"a\\nb\"] }\n    steps: [x]\n") == [
            #".gitci.yml:3:23: matrix value 'a\nb' must not contain control characters: it becomes part of the job name"#,
        ])
        #expect(problems("jobs:\n  t:\n    matrix: { include: [{ v: \"a\\tb\" }] }\n    steps: [x]\n") == [
            #".gitci.yml:3:30: matrix value 'a\tb' must not contain control characters: it becomes part of the job name"#,
        ])
    }

    @Test func aMatrixThatMakesTooLongAJobNameIsRefused() {
        let long = String(repeating: "v", count: 250)
        #expect(problems("jobs:\n  t:\n    matrix: { v: [\(long)] }\n    steps: [x]\n") == [
            ".gitci.yml:3:13: job name 't (v=\(long.prefix(35))…' is longer than 200 characters after matrix expansion",
        ])
    }
}
