import Pipeline
import Testing

/// `shell:` of jobs and steps, `if:` and `allow_failure:` of steps, and the expansion of
/// `$NAME` in `env:` values.
@Suite struct StepOptionsTests {
    @Test func shellIfAndAllowFailureAreRead() throws {
        let config = try parse("""
            jobs:
              test:
                shell: sh
                steps:
                  - make
                  - { name: py, run: "print(1)", shell: python3 }
                  - { run: ./collect-reports, if: failure }
                  - { run: ./notify, if: always, allow_failure: true }
            """)
        let job = try #require(config.jobs.first)
        #expect(job.shell == .sh)
        #expect(job.steps.map(\.shell) == [nil, .python3, nil, nil])
        #expect(job.steps.map(\.condition) == [.success, .success, .failure, .always])
        #expect(job.steps.map(\.allowFailure) == [false, false, false, true])
    }

    @Test func anUnknownShellOrConditionIsAnErrorNamingTheWordsAllowed() {
        let problems = problems("""
            jobs:
              test:
                shell: zsh
                steps:
                  - { run: make, if: failed }
                  - { run: make, allow_failure: maybe }
            """)
        #expect(problems == [
            ".gitci.yml:3:12: 'shell' of job 'test' must be sh, bash, python3, not 'zsh'; did you mean 'sh'?",
            ".gitci.yml:5:26: 'if' of step 1 of 'steps' of job 'test' must be success, failure, always, not 'failed'",
            ".gitci.yml:6:37: 'allow_failure' of step 2 of 'steps' of job 'test' must be true or false, not 'maybe'",
        ])
    }

    @Test func conditionsAdmitStepsAfterWhatTheyName() {
        #expect(StepCondition.success.admits(afterFailure: false) && !StepCondition.success.admits(afterFailure: true))
        #expect(!StepCondition.failure.admits(afterFailure: false) && StepCondition.failure.admits(afterFailure: true))
        #expect(StepCondition.always.admits(afterFailure: false) && StepCondition.always.admits(afterFailure: true))
    }

    @Test func expansionReplacesNamesWithTheirValuesAndUnknownNamesWithNothing() {
        let values = ["HOME": "/home/ci", "PATH": "/usr/bin:/bin", "A_1": "one"]
        func expand(_ text: String) -> String { EnvironmentExpansion.expand(text) { values[$0] } }
        #expect(expand("$HOME/.local/bin:$PATH") == "/home/ci/.local/bin:/usr/bin:/bin")
        #expect(expand("${HOME}x ${A_1}$A_1.") == "/home/cix oneone.")
        #expect(expand("[$MISSING][${MISSING}]") == "[][]")
        #expect(expand("cost $$5, $$HOME") == "cost $5, $HOME")
    }

    @Test func expansionLeavesWhatIsNotANameAsWritten() {
        func expand(_ text: String) -> String { EnvironmentExpansion.expand(text) { _ in "X" } }
        #expect(expand("$(touch pwned) `x` $5 $ ${-} ${unclosed $") == "$(touch pwned) `x` $5 $ ${-} ${unclosed $")
        #expect(expand("naïve $é ${A}") == "naïve $é X")
    }
}
