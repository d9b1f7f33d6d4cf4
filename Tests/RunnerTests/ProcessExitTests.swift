import Foundation
import Runner
import Testing

/// How a step's end is learnt: from a pidfd watched by libdispatch, or, where the kernel has
/// none, from a thread in `waitid`. Both give the same answers, and neither reaps the leader.
@Suite struct ProcessExitTests {
    static func start(_ script: String) throws -> ProcessGroup {
        let null = open("/dev/null", O_WRONLY)
        defer { close(null) }
        return try ProcessGroup.spawn(["/bin/sh", "-c", script], environment: ["PATH=/usr/bin:/bin"], directory: "/", outputDescriptor: null)
    }

    /// The state letter of /proc/PID/stat (Z for a zombie), nil when there is no such process.
    static func state(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").first.map(String.init)
    }

    static let endings: [(script: String, termination: ProcessTermination)] = [
        ("exit 0", .exited(0)), ("exit 7", .exited(7)), ("kill -TERM $$", .signaled(SIGTERM)),
    ]

    @Test(arguments: [false, true]) func anExitIsReportedAsItHappened(onThread: Bool) async throws {
        for (script, termination) in Self.endings {
            let group = try Self.start(script)
            let ended = onThread ? await group.waitForExitOnThread() : await group.waitForExit()
            #expect(ended == termination, "\(script)")
            // Not reaped: the zombie keeps the group id reserved until reap().
            #expect(Self.state(of: group.pid) == "Z", "\(script)")
            group.reap()
            #expect(Self.state(of: group.pid) == nil)
        }
    }

    @Test func aStepThatEndedBeforeTheWaitBeganIsStillSeenEnding() async throws {
        let group = try Self.start("exit 3")
        try await Task.sleep(for: .milliseconds(100))
        #expect(await group.waitForExit() == .exited(3))
        group.reap()
    }

    @Test func stepsEndingTogetherAreEachSeen() async throws {
        let groups = try (0..<20).map { try Self.start("sleep 0.2; exit \($0)") }
        let ended = await withTaskGroup(of: (Int, ProcessTermination).self) { tasks in
            for (index, group) in groups.enumerated() { tasks.addTask { (index, await group.waitForExit()) } }
            var ended: [Int: ProcessTermination] = [:]
            for await (index, termination) in tasks { ended[index] = termination }
            return ended
        }
        #expect(ended == Dictionary(uniqueKeysWithValues: (0..<20).map { ($0, ProcessTermination.exited(Int32($0))) }))
        groups.forEach { $0.reap() }
    }
}
