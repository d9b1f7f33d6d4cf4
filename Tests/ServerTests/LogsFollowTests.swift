import Foundation
import Testing
import TestSupport

/// `gitci logs REV JOB --follow` on a build the worker is running: what the job writes after the
/// command started reaches it, and the command ends with the job.
@Suite struct LogsFollowTests {
    @Test func followingARunningJobPrintsWhatComesLaterAndEndsWithIt() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              slow:
                steps:
                  - "echo first line"
                  - "while [ ! -e {scratch}/go ]; do sleep 0.05; done; echo second line"
            """)
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        // The job is running once its first line is in its log; it cannot end before `go` exists.
        let seen = try poll(seconds: ServerFixture.workerDeadline) {
            try fixture.gitci(["logs", commit, "slow"]).stdout.contains("first line")
        }
        #expect(seen, "the job never started")

        let follow = Process()
        follow.executableURL = URL(fileURLWithPath: GitciBinary.path)
        follow.arguments = ["logs", commit, "slow", "--follow", "-C", fixture.serverPath]
        let output = Pipe()
        follow.standardOutput = output
        follow.standardError = FileHandle.nullDevice
        try follow.run()
        // Still following: the job waits for `go`.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(follow.isRunning, "--follow ended while the job was still running")
        #expect(FileManager.default.createFile(atPath: fixture.scratch.url("go"), contents: Data()))
        let exited = ProcessTable.waitForExit(of: follow, timeout: ServerFixture.workerDeadline)
        #expect(exited, "--follow did not end when the job did")
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("first line") && text.contains("second line"), "\(text)")
        #expect(text.contains("job passed"), "\(text)")
        #expect(follow.terminationStatus == 0)
        try fixture.drain()
    }

    private func poll(seconds: Double, _ condition: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }
}
