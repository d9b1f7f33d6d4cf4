import Foundation
import Runner
import Testing
import TestSupport

/// What runs a step (`shell:`), which steps run after a failure (`if:`, `allow_failure:`),
/// `$NAME` in `env:` values, and what a step hands to the next through `$GITCI_ENV` and
/// `$GITCI_PATH`: with real processes.
@Suite struct StepOptionsRunTests {
    @Test func aFailureInsideAPipeFailsTheStepUnlessTheShellIsSh() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              default:
                steps:
                  - false | cat
                  - touch @SHARED@/default-went-on
              plain:
                shell: sh
                steps:
                  - false | cat
                  - touch @SHARED@/sh-went-on
              step-bash:
                shell: sh
                steps:
                  - { run: "false | cat", shell: bash }
            """)
        let report = try await fixture.run()
        #expect(report["default"].status == .failed)
        #expect(report["default"].reason == "step 'false | cat' failed (exit status 1)")
        #expect(!fixture.sharedFileExists("default-went-on"))
        #expect(report["plain"].status == .passed)
        #expect(fixture.sharedFileExists("sh-went-on"))
        #expect(report["step-bash"].status == .failed)
    }

    @Test func aPython3StepRunsItsTextAsAScript() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              py:
                steps:
                  - name: write
                    shell: python3
                    run: |
                      import os, sys
                      with open("@SHARED@/python", "w") as out:
                          out.write(os.environ["GITCI_JOB"] + " " + str(sys.version_info[0]))
                  - name: fail
                    shell: python3
                    run: raise SystemExit(4)
            """)
        let report = try await fixture.run()
        #expect(try fixture.sharedText("python") == "py 3")
        #expect(report["py"].status == .failed)
        #expect(report["py"].exitCode == 4)
    }

    @Test func envValuesNameEarlierVariablesAndGitciExpandsThem() async throws {
        let fixture = try RunnerFixture(pipeline: """
            env:
              TOOLS: "$HOME/tools"
            jobs:
              expand:
                env:
                  PATH: "$TOOLS/bin:$PATH"
                  PRICE: "$$5 ${NOT_SET_ANYWHERE}!"
                  QUOTED: "$(touch @SHARED@/pwned)"
                steps:
                  - printf '%s\\n' "$PATH" > @SHARED@/path
                  - printf '%s\\n' "$HOME" > @SHARED@/home
                  - printf '%s|%s\\n' "$PRICE" "$QUOTED" > @SHARED@/values
            """)
        let report = try await fixture.run()
        #expect(report["expand"].status == .passed)
        let home = try fixture.sharedText("home")
        let path = try fixture.sharedText("path")
        #expect(path.hasPrefix(home + "/tools/bin:"))
        #expect(path.count > home.count + "/tools/bin:".count)
        #expect(try fixture.sharedText("values") == "$5 !|$(touch \(fixture.shared.path)/pwned)")
        #expect(!fixture.sharedFileExists("pwned"))
    }

    @Test func aStepHandsVariablesAndPathFoldersToTheNextSteps() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              handoff:
                steps:
                  - |
                    mkdir -p "$PWD/tools"
                    printf '#!/bin/sh\\necho tool ran\\n' > "$PWD/tools/my-tool"
                    chmod +x "$PWD/tools/my-tool"
                    echo "GREETING=hello = world" >> "$GITCI_ENV"
                    echo "not a variable line" >> "$GITCI_ENV"
                    echo "relative/folder" >> "$GITCI_PATH"
                    echo "$PWD/tools" >> "$GITCI_PATH"
                  - |
                    printf '%s\\n' "$GREETING" > @SHARED@/greeting
                    my-tool > @SHARED@/tool
                    git status --porcelain --untracked-files=all > @SHARED@/status
            """)
        let report = try await fixture.run()
        let job = report["handoff"]
        #expect(job.status == .passed)
        #expect(try fixture.sharedText("greeting") == "hello = world")
        #expect(try fixture.sharedText("tool") == "tool ran")
        // The hand-over files are not changes of the workspace; the folder the step made is.
        #expect(try fixture.sharedText("status") == "?? tools/my-tool")
        let log = try job.log()
        #expect(log.contains("gitci: warning: $GITCI_ENV: 'not a variable line' is not NAME=value; ignored"))
        #expect(log.contains("gitci: warning: $GITCI_PATH: 'relative/folder' is not an absolute folder without ':'; ignored"))
    }

    @Test func stepsAfterAFailureRunOnlyWhenTheirConditionAsks() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              conditions:
                steps:
                  - { name: allowed, run: "echo allowed >> @SHARED@/ran; exit 3", allow_failure: true }
                  - { name: only-on-failure-early, run: "echo early >> @SHARED@/ran", if: failure }
                  - { name: breaks, run: "echo breaks >> @SHARED@/ran; exit 5" }
                  - { name: skipped, run: "echo skipped >> @SHARED@/ran" }
                  - { name: reports, run: "echo reports >> @SHARED@/ran", if: failure }
                  - { name: cleanup, run: "echo cleanup >> @SHARED@/ran; exit 7", if: always }
              tolerated:
                steps:
                  - { name: flaky, run: "exit 2", allow_failure: true }
                  - { name: always, run: "echo tolerated >> @SHARED@/tolerated", if: always }
            """)
        let report = try await fixture.run()
        let job = report["conditions"]
        #expect(try fixture.events(file: "ran") == ["allowed", "breaks", "reports", "cleanup"])
        #expect(job.status == .failed)
        #expect(job.reason == "step 'breaks' failed (exit status 5)")
        #expect(job.exitCode == 5)
        #expect(job.failedStep?.name == "breaks")
        #expect(job.failedStep?.index == 3)
        let log = try job.log()
        #expect(log.contains("==> step 4/6: skipped skipped (if: success)"))
        #expect(log.contains("gitci: step 'allowed' failed (exit status 3) after"))
        #expect(report["tolerated"].status == .passed)
        #expect(try fixture.sharedText("tolerated") == "tolerated")
    }
}

extension RunnerFixture {
    func events(file: String) throws -> [String] {
        try sharedText(file).split(separator: "\n").map(String.init)
    }
}
