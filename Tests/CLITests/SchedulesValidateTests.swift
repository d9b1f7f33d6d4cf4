import Foundation
import Testing
import TestSupport

/// `schedules:` are read and checked now, and `gitci validate` says they do nothing yet.
@Suite struct SchedulesValidateTests {
    @Test func validateAcceptsSchedulesAndSaysTheyAreNotActedOn() throws {
        let repo = try repository(pipeline: """
            schedules:
              - { cron: "0 3 * * *", branch: main }
            jobs:
              a: { steps: ["true"] }
            """)
        let result = try GitciBinary.run(["validate"], in: repo.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((result.stdout + result.stderr).contains("schedules: 1 accepted; not acted on"), "\(result.stdout)\(result.stderr)")
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
