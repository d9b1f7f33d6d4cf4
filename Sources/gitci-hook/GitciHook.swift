internal import CHookSupport
import Glibc
import HookIntake

/// `gitci-hook post-receive`: what the installed post-receive hook runs when this executable
/// sits next to `gitci`. It runs inside every `git push`, so it is kept lean: no Foundation,
/// no libgit2, no GRDB, which makes it start several times faster than `gitci` itself. It
/// takes the common case (FastPostReceive) and hands every other one to
/// `gitci hook post-receive` with the same input. Like every hook of gitci's, it exits 0.
@main
struct GitciHook {
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        guard Array(CommandLine.arguments.dropFirst()) == ["post-receive"] else {
            say("gitci-hook: usage: gitci-hook post-receive (what gitci's installed hook runs, with git's hook input)")
            exit(2)
        }
        let input = readStandardInput()
        let gitci = siblingGitci()
        let outcome = FastPostReceive.run(input: input, gitDirectory: gitDirectory(), gitci: gitci, say: say)
        guard case .handOver(_, let queueBusy) = outcome else { exit(0) }
        if queueBusy { setenv(FastPostReceive.queueBusyVariable, "1", 1) }
        let rc = WorkerLauncher.withCStrings([gitci, "hook", "post-receive"]) { argv in
            input.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { gitci_exec_with_input(argv, $0.baseAddress, $0.count) }
            }
        }
        say("gitci: cannot run \(gitci) (\(String(cString: strerror(rc)))); this push was not queued for a build")
        exit(0)
    }

    static func say(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func readStandardInput() -> [UInt8] {
        var input: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(0, &chunk, chunk.count)
            if count > 0 {
                input.append(contentsOf: chunk[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return input
            }
        }
    }

    /// Hooks run inside the repository with GIT_DIR set, usually to ".".
    static func gitDirectory() -> String {
        let directory = getenv("GIT_DIR").map { String(cString: $0) } ?? "."
        if directory.hasPrefix("/") { return directory }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return directory }
        let current = WorkerLauncher.string(buffer)
        return directory == "." ? current : current + "/" + directory
    }

    /// `gitci` in this executable's folder: the two are installed side by side.
    static func siblingGitci() -> String {
        let own = WorkerLauncher.ownExecutable() ?? CommandLine.arguments[0]
        guard let slash = own.lastIndex(of: "/") else { return "gitci" }
        return String(own[..<slash]) + "/gitci"
    }
}
