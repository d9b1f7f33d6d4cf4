internal import CSpawn
import Glibc

/// How many jobs may run at once by default: the processors this process may run on, capped
/// by a cgroup CPU quota (a container's `--cpus`), as Foundation's `activeProcessorCount`
/// answers. Read here with plain system calls: Foundation's first answer costs ~0.2 ms of
/// type lookups and URL handling, on the way of every worker a push starts to its first step.
public enum Processors {
    public static var available: Int {
        var count = Int(gitci_allowed_processors())
        if count < 1 { count = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
        if let quota = quotaInProcessors(), quota < count { count = quota }
        return count
    }

    /// The cgroup's CPU quota, rounded up to whole processors; nil when it has none.
    static func quotaInProcessors() -> Int? {
        let quota: Double, period: Double
        if let line = firstLine(of: "/sys/fs/cgroup/cpu.max") {
            // cgroup v2: "max 100000", or "150000 100000" for one and a half processors.
            let fields = line.split(separator: " ")
            guard fields.count == 2, let q = Double(fields[0]), let p = Double(fields[1]) else { return nil }
            (quota, period) = (q, p)
        } else if let q = firstLine(of: "/sys/fs/cgroup/cpu/cpu.cfs_quota_us").flatMap({ Double($0) }),
                  let p = firstLine(of: "/sys/fs/cgroup/cpu/cpu.cfs_period_us").flatMap({ Double($0) }) {
            // cgroup v1: a quota of -1 is none.
            (quota, period) = (q, p)
        } else {
            return nil
        }
        guard quota > 0, period > 0 else { return nil }
        return max(1, Int((quota / period).rounded(.up)))
    }

    private static func firstLine(of path: String) -> Substring? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n").first
    }
}
