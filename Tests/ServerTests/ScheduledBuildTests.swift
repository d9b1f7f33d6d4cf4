import Foundation
import Store
import Testing
import TestSupport

/// `schedules:` acting in a long-running `gitci worker`: a time missed while no worker ran
/// builds the branch's tip once when one starts, as a plain build of the tip that `gitci
/// status` gives the schedule as its reason.
@Suite struct ScheduledBuildTests {
    static let nightly = "0 3 * * *"

    /// Last fired in 2001: a time the cron names has passed since, many times over.
    static func bookFiredLongAgo(_ branches: [String]) -> String {
        let entries = branches.map { #"{"branch": "\#($0)", "cron": "\#(nightly)", "last": 1000000000}"# }
        return #"{"version": 1, "schedules": [\#(entries.joined(separator: ", "))]}"#
    }

    /// `gitci worker` as a service, what it says kept in `log`.
    static func startWorker(_ fixture: ServerFixture, log: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: GitciBinary.path)
        worker.arguments = ["worker", "-C", fixture.serverPath]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try worker.run()
        return worker
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test func aMissedScheduleBuildsTheTipOnceWhenTheWorkerStarts() async throws {
        let fixture = try ServerFixture(pipeline: """
            schedules:
              - { cron: "\(Self.nightly)", branch: main }
            jobs:
              build:
                steps: ["\(ServerFixture.waitFor("{scratch}/go"))"]
            """)
        // Into the server past its hooks: no push builds main, only the schedule can.
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main"])
        let tip = try fixture.clone.git(["rev-parse", "HEAD"])
        let bookPath = fixture.stateFolder + "/schedules.json"
        try Self.bookFiredLongAgo(["main"]).write(toFile: bookPath, atomically: true, encoding: .utf8)
        let started = Date().timeIntervalSince1970

        let log = fixture.scratch.path + "/worker.err"
        let worker = try Self.startWorker(fixture, log: log)
        defer { fixture.stop(worker) }

        // While it runs, `gitci status` says why it was built.
        var document: [String: Any] = [:]
        let running = await Poll.until(timeout: 60) {
            document = (try? fixture.status(tip)) ?? [:]
            return document["status"] as? String == "running"
        }
        let text = running ? try fixture.gitci(["status", tip]).stdout : ""
        fixture.touch(fixture.scratch.path + "/go")
        #expect(running, "main's tip was not built on the worker's start: \(Self.read(log))")
        #expect(text.contains("running for") && text.contains(" on main: schedule \"\(Self.nightly)\""), "\(text)")
        #expect(document["reason"] as? String == "schedule \"\(Self.nightly)\"", "\(document)")
        #expect(document["branch"] as? String == "main")

        let recorded = await Poll.until(timeout: ServerFixture.workerDeadline) { ((try? fixture.pipelineRecords(tip)) ?? []).count > 0 }
        #expect(recorded, "no result was recorded: \(Self.read(log))")
        fixture.stop(worker)

        // Once, however many nights were missed: one pipeline record of the tip, read by git.
        let records = try fixture.pipelineRecords(tip)
        #expect(records.count == 1, "\(records)")
        #expect(records.first?["status"] as? String == "passed")
        #expect(records.first?["branch"] as? String == "main")
        #expect(Self.read(log).components(separatedBy: "queued a build of main at \(tip.prefix(10)), schedule").count == 2,
                Comment(rawValue: Self.read(log)))
        // The fire is recorded: the next worker waits for the next night.
        let book = try #require(JSONSerialization.jsonObject(with: Data(Self.read(bookPath).utf8)) as? [String: Any])
        let entries = book["schedules"] as? [[String: Any]] ?? []
        #expect(entries.count == 1)
        #expect((entries.first?["last"] as? Double ?? 0) >= started.rounded(.down), "\(book)")
    }

    /// A deleted branch and a branch whose pipeline file has errors are said in the log,
    /// naming the branch; neither fires, and the worker goes on to build what is due.
    @Test func aDeletedBranchAndABrokenFileFireNothingAndAreLogged() async throws {
        let fixture = try ServerFixture(pipeline: """
            schedules:
              - { cron: "\(Self.nightly)", branch: main }
            jobs:
              build: { steps: ["true"] }
            """)
        try fixture.clone.git(["checkout", "-q", "-b", "broken"])
        let brokenTip = try fixture.clone.commit([".gitci.yml": """
            schedules:
              - { cron: "\(Self.nightly)", branch: broken }
            jobs:
              build: { stpes: ["true"] }
            """], message: "broken pipeline")
        try fixture.server.git(["fetch", "-q", fixture.clone.path, "main:main", "broken:broken"])
        let tip = try fixture.clone.git(["rev-parse", "main"])
        try Self.bookFiredLongAgo(["broken", "gone", "main"])
            .write(toFile: fixture.stateFolder + "/schedules.json", atomically: true, encoding: .utf8)

        let log = fixture.scratch.path + "/worker.err"
        let worker = try Self.startWorker(fixture, log: log)
        defer { fixture.stop(worker) }
        let recorded = await Poll.until(timeout: ServerFixture.workerDeadline) { ((try? fixture.pipelineRecords(tip)) ?? []).count > 0 }
        #expect(recorded, "main was not built: \(Self.read(log))")
        #expect(worker.isRunning)
        fixture.stop(worker)

        let said = Self.read(log)
        #expect(said.contains("schedules: branch 'gone' no longer exists; its schedule \"\(Self.nightly)\" stops"), Comment(rawValue: said))
        #expect(said.contains("schedules: branch 'broken' at \(brokenTip.prefix(10)): .gitci.yml has errors"), Comment(rawValue: said))
        #expect(try fixture.notes(brokenTip).isEmpty)
        let builds = try fixture.queue().builds()
        #expect(builds.map(\.branch) == ["main"], "\(builds)")
    }
}
