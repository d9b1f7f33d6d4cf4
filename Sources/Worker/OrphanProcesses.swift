import Foundation
import HookIntake

/// Finds and stops the step processes a killed worker left running.
///
/// A process group id alone is not proof: once the dead worker's step leaders were reaped, the
/// ids can be reused by anything. So a process is stopped only when it is in one of the recorded
/// groups *and* its environment carries the lost build's `GITCI_PIPELINE` run id.
enum OrphanProcesses {
    static func kill(groups: Set<Int32>, runID: String) -> Int {
        guard !groups.isEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        let marker = Array("GITCI_PIPELINE=\(runID)".utf8)
        var killed = 0
        for entry in entries {
            guard let pid = Int32(entry), pid > 1, pid != getpid(),
                  let group = processGroup(of: pid), groups.contains(group),
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environment.split(separator: 0)
            if variables.contains(where: { Array($0) == marker }) {
                Foundation.kill(pid, SIGKILL)
                killed += 1
            }
        }
        return killed
    }

    /// The fifth field of /proc/PID/stat.
    private static func processGroup(of pid: Int32) -> Int32? {
        guard let fields = ProcessStat.fields(of: pid), fields.count > 2 else { return nil }
        return Int32(fields[2])
    }
}
