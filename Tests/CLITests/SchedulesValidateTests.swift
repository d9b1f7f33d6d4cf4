import Foundation
import Testing
import TestSupport

/// `schedules:` are read and checked, and `gitci validate` says when they run.
@Suite struct SchedulesValidateTests {
    @Test func validateAcceptsSchedulesAndSaysWhenTheyRun() throws {
        let repo = try repository(pipeline: """
            schedules:
              - { cron: "0 3 * * *", branch: main }
            jobs:
              a: { steps: ["true"] }
            """)
        let result = try GitciBinary.run(["validate"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(#".gitci.yml: note: schedules: "0 3 * * *" on main: built while `gitci serve` or a long-running `gitci worker` runs"#),
                "\(result.stdout)\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains("not acted on"))
    }

    @Test func aBadCronIsAConfigurationErrorWithItsLine() throws {
        let repo = try repository(pipeline: """
            schedules:
              - { cron: "0 25 * * *", branch: main }
            jobs:
              a: { steps: ["true"] }
            """)
        let result = try GitciBinary.run(["validate"], in: repo.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains(".gitci.yml:2:") && result.stderr.contains("'25' is not a valid hour"), "\(result.stderr)")
    }
}
