import Foundation
import Testing
import TestSupport

/// Whatever happens to the `gitci` process's terminal or output, the steps it started are never
/// left running unsupervised.
@Suite struct SupervisionTests {
    @Test func aHangupStopsRunningStepsLikeAnInterrupt() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let started = TemporaryDirectory("gitci-started")
        let repo = try repository(pipeline: """
            jobs:
              long:
                steps: ["touch \(started.url("long")); sh -c 'sleep \(marker) & sleep \(marker)'"]
            """)
        let gitci = try RunningGitci(["run", "--json"], in: repo.path)
        #expect(await Poll.untilExists(started.url("long")))
        #expect(await Poll.until { !ProcessTable.processes(containing: "sleep \(marker)").isEmpty })
        // What closing the terminal (or losing the ssh connection) sends.
        gitci.signal(SIGHUP)
        #expect(await gitci.waitForExit() == RunningGitci.Exit(status: 1, signaled: false))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
        #expect(try jsonObject(gitci.stdout)["status"] as? String == "cancelled")
    }

    @Test func aClosedOutputPipeDoesNotAbandonTheRun() async throws {
        // `gitci run | head -1`: the reader goes away while jobs still run. gitci must go on
        // supervising them (timeouts, clean-up of what steps leave behind) to the end.
        let marker = ProcessTable.uniqueSleepDuration()
        let shared = TemporaryDirectory("gitci-shared")
        let wait = { (name: String) in
            #"i=0; until [ -e \#(shared.url(name)) ]; do i=$((i+1)); [ $i -lt 3000 ] || exit 9; sleep 0.02; done"#
        }
        let repo = try repository(pipeline: """
            jobs:
              a:
                steps:
                  - sleep \(marker) > /dev/null 2>&1 &
                  - |
                    touch \(shared.url("a-started"))
                    \(wait("release-a"))
                    touch \(shared.url("a-done"))
              b:
                steps:
                  - |
                    \(wait("release-b"))
            """)
        let pipe = Pipe()
        let gitci = try RunningGitci(["run"], in: repo.path, stdout: pipe)
        try? pipe.fileHandleForWriting.close()
        #expect(await Poll.untilExists(shared.url("a-started")))
        try pipe.fileHandleForReading.close()
        // Job b ends now and gitci reports it on the closed pipe; then job a ends.
        _ = FileManager.default.createFile(atPath: shared.url("release-b"), contents: nil)
        #expect(await Poll.until { Self.log(ofJob: "b", in: repo.path).contains("job passed") })
        _ = FileManager.default.createFile(atPath: shared.url("release-a"), contents: nil)
        #expect(await gitci.waitForExit() == RunningGitci.Exit(status: 0, signaled: false), "\(gitci.stderr)")
        #expect(FileManager.default.fileExists(atPath: shared.url("a-done")))
        #expect(await ProcessTable.survivors(of: marker).isEmpty)
    }

    /// The log of the job `name` of the (only) run in `repository`, or "" while there is none.
    static func log(ofJob name: String, in repository: String) -> String {
        let logs = repository + "/.git/gitci/logs"
        let files = FileManager.default.enumerator(atPath: logs)?.compactMap { $0 as? String } ?? []
        guard let file = files.first(where: { $0.hasSuffix("-\(name).log") }) else { return "" }
        return (try? String(contentsOfFile: logs + "/" + file, encoding: .utf8)) ?? ""
    }
}
