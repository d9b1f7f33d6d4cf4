public import Foundation

/// The live processes of this machine, read from `/proc`, for tests that must prove a build left
/// nothing running behind it.
public enum ProcessTable {
    /// A command-line fragment no other process has: `sleep <marker>` sleeps about 100 s and
    /// shows the marker in its command line, and so does any shell that started it.
    public static func uniqueSleepDuration() -> String {
        "100.\(Int.random(in: 100_000...999_999))"
    }

    /// The ids of live (not zombie) processes whose command line contains `marker`, this test
    /// process excepted.
    public static func processes(containing marker: String) -> [Int32] {
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != own else { return nil }
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // The state letter follows the command name in parentheses: "pid (comm) S ...".
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            guard state != "Z", state != "X" else { return nil }
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let commandLine = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return commandLine.contains(marker) ? pid : nil
        }
    }

    /// Waits (up to `timeout` seconds, generous on purpose) until no process shows `marker`;
    /// returns the ids of those still there, after killing them so that a failing test leaves
    /// nothing running behind it.
    public static func survivors(of marker: String, timeout: Double = 10) async -> [Int32] {
        var remaining = processes(containing: marker)
        let deadline = Date().addingTimeInterval(timeout)
        while !remaining.isEmpty, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            remaining = processes(containing: marker)
        }
        for pid in remaining { kill(pid, SIGKILL) }
        return remaining
    }

    /// Waits until `process` (started already) exits, for `timeout` seconds at most; then kills
    /// it and every process it started that is still its descendant, and returns false.
    /// `exited`, signalled by the process's terminationHandler (set before it started), spares
    /// the polling Process otherwise needs: it offers no wait with a deadline.
    public static func waitForExit(of process: Process, timeout: Double, exited: DispatchSemaphore? = nil) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        if let exited {
            if exited.wait(timeout: .now() + timeout) == .success {
                process.waitUntilExit()
                return true
            }
        } else {
            while process.isRunning, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            if !process.isRunning {
                process.waitUntilExit()
                return true
            }
        }
        let pid = process.processIdentifier
        killTree(of: pid)
        // Not waitUntilExit: Foundation sees a child end when the descriptor it shares with it
        // closes, which a process the child left behind (outside its tree now) may still hold.
        let deadlineAfterKill = Date().addingTimeInterval(10)
        while process.isRunning, !hasExited(pid), Date() < deadlineAfterKill {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// SIGKILL to `pid` and all its descendants, found first so that none is reparented away
    /// from the tree in between.
    public static func killTree(of pid: Int32) {
        var parents: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = Int32(entry), let parent = parent(of: child) else { continue }
            parents[parent, default: []].append(child)
        }
        var tree = [pid]
        var index = 0
        while index < tree.count {
            tree += parents[tree[index]] ?? []
            index += 1
        }
        for member in tree { kill(member, SIGKILL) }
    }

    private static func parent(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // "pid (comm) S ppid ...".
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// The command line of `pid`, its arguments separated by spaces; empty when it is gone.
    public static func commandLine(of pid: Int32) -> String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether `pid` has ended (it is gone, or a zombie waiting for its parent).
    public static func hasExited(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state == "Z" || state == "X"
    }
}

/// Waiting for evidence (a file appearing) instead of sleeping for a guessed time.
public enum Poll {
    /// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; returns whether
    /// it held.
    @discardableResult
    public static func until(timeout: Double = 30, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Polls until `path` exists.
    @discardableResult
    public static func untilExists(_ path: String, timeout: Double = 30) async -> Bool {
        await until(timeout: timeout) { FileManager.default.fileExists(atPath: path) }
    }
}
