internal import CSpawn
import Foundation

/// Whether bwrap can make this machine's sandboxes: it is run once, with the namespaces and
/// mounts every sandbox has, on `true`.
public enum SandboxProbe {
    /// nil when the sandbox works here; else why not, and what to do about it.
    public static func problem(bwrap: String = Sandbox.bwrapProgram()) -> String? {
        failure(bwrap: bwrap).map { "the sandbox cannot start (\($0)); \(SandboxedJob.advice)" }
    }

    /// nil when bwrap ran `true` in a sandbox; else what it said (its first line), or how it
    /// ended.
    static func failure(bwrap: String) -> String? {
        var ends: [Int32] = [-1, -1]
        guard gitci_pipe(&ends) == 0 else { return "cannot make a pipe: \(String(cString: strerror(errno)))" }
        let arguments = [bwrap, "--unshare-user", "--unshare-pid", "--die-with-parent", "--ro-bind", "/", "/",
                         "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/true"]
        let group: ProcessGroup
        do {
            group = try ProcessGroup.spawn(arguments, environment: ["PATH=/usr/bin:/bin"], directory: "/", outputDescriptor: ends[1])
        } catch {
            close(ends[0])
            close(ends[1])
            return "\(bwrap): \(String(cString: strerror(error.errno)))"
        }
        close(ends[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while output.count < 65536 {
            let count = read(ends[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += buffer[0..<count]
        }
        close(ends[0])
        var code: Int32 = 0
        var signaled: Int32 = 0
        _ = gitci_wait_exit_keep_zombie(group.pid, &code, &signaled)
        group.reap()
        if signaled == 0 && code == 0 { return nil }
        let said = String(decoding: output, as: UTF8.self).split(separator: "\n").first.map(String.init)
        return said ?? (signaled == 1 ? "bwrap was killed by signal \(code)" : "bwrap exited with status \(code)")
    }
}
