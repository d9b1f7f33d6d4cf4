import Foundation
import Testing
import TestSupport

/// `gitci serve` as a real process on loopback, asked with a real HTTP client.
@Suite struct ServeCommandTests {
    @Test func serveAnswersOverHTTPAndStopsOnSIGTERM() throws {
        let repo = try ResultsAPITests.recordedRepository()
        let port = Int.random(in: 20_000...40_000)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: GitciBinary.path)
        serve.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--repos", repo.path + "/.git"]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
        var body = ""
        for _ in 0..<100 {
            let answer = try Shell.run(["curl", "-s", "--max-time", "2", "http://127.0.0.1:\(port)/api/v1/repos"])
            if answer.status == 0, !answer.stdout.isEmpty { body = answer.stdout; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(body.contains("\"repos\""), "\(body)")
        let missing = try Shell.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/api/v1/repos/none/plans"])
        #expect(missing.stdout == "404")
        kill(serve.processIdentifier, SIGTERM)
        #expect(ProcessTable.waitForExit(of: serve, timeout: 30), "gitci serve did not stop on SIGTERM")
    }

    @Test func aBadListenAddressIsAUsageError() throws {
        let repo = try GitFixture()
        let result = try GitciBinary.run(["serve", "--listen", "nowhere"], in: repo.path)
        #expect(result.status == 2 && result.stderr.contains("ADDRESS:PORT"), "\(result.stderr)")
    }
}
