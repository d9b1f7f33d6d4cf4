internal import CHookSupport
import Glibc
import HookIntake

/// `gitci-hook post-receive|pre-receive`: the program on the installed hooks' `#!` lines when
/// this executable sits next to `gitci`. It runs inside every `git push`, so it is kept lean:
/// no Foundation, no libgit2, no GRDB, which makes it start several times faster than `gitci`
/// itself. As post-receive it takes the common case (FastPostReceive), hands every other one to
/// `gitci hook post-receive` with the same input, and exits 0; as pre-receive it guards
/// gitci's refs and starts the worker of an accepted push (PreReceive).
@main
struct GitciHook {
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        // `HOOK-NAME`, or `HOOK-NAME HOOK` when the installed hook names this program on its
        // `#!` line and the kernel adds the hook's own path.
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let hook = arguments.first, ["post-receive", "pre-receive"].contains(hook), arguments.count <= 2 else {
            say("gitci-hook: usage: gitci-hook post-receive|pre-receive (what gitci's installed hooks run, with git's hook input)")
            exit(2)
        }
        let chained = arguments.count == 2 ? chainedHook(of: arguments[1]) : nil
        let input = readStandardInput()
        if hook == "pre-receive" { preReceive(input, chained: chained) }
        postReceive(input, chained: chained)
    }

    /// Refuses pushes to gitci's own refs, after the hook gitci was installed over (whose
    /// refusal stands); starts the worker of an accepted push.
    static func preReceive(_ input: [UInt8], chained: String?) -> Never {
        if let chained {
            let status = run(chained, input: input)
            if status != 0 { exit(status) }
        }
        let refused = PreReceive.refusedRefs(in: input)
        refused.forEach { say(PreReceive.refusal(of: $0)) }
        if !refused.isEmpty { exit(1) }
        if !input.isEmpty { PreReceive.startWorkerEarly(gitDirectory: gitDirectory(), gitci: siblingGitci()) }
        exit(0)
    }

    static func postReceive(_ input: [UInt8], chained: String?) -> Never {
        let gitci = siblingGitci()
        let outcome = FastPostReceive.run(input: input, gitDirectory: gitDirectory(), gitci: gitci, say: say)
        if case .handOver(_, let queueBusy) = outcome {
            if queueBusy { setenv(FastPostReceive.queueBusyVariable, "1", 1) }
            handOver(input, to: gitci, thenRun: chained)
        }
        if let chained { run(chained, input: input) }
        exit(0)
    }

    /// Gives the push to `gitci hook post-receive`: in place of this process, unless a hook
    /// gitci was installed over still has to run after it.
    static func handOver(_ input: [UInt8], to gitci: String, thenRun chained: String?) {
        let arguments = [gitci, "hook", "post-receive"]
        if chained != nil {
            run(gitci, arguments: arguments, input: input)
            return
        }
        let rc = WorkerLauncher.withCStrings(arguments) { argv in
            input.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { gitci_exec_with_input(argv, $0.baseAddress, $0.count) }
            }
        }
        say(cannotRun: gitci, rc)
    }

    /// Runs a program with the push's input and waits for it. Returns its exit status (1 when
    /// it could not run or was killed), which only a pre-receive hook heeds.
    @discardableResult
    static func run(_ program: String, arguments: [String]? = nil, input: [UInt8]) -> Int32 {
        var status: Int32 = 0
        let rc = WorkerLauncher.withCStrings(arguments ?? [program]) { argv in
            input.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { gitci_run_with_input(argv, $0.baseAddress, $0.count, &status) }
            }
        }
        guard rc == 0 else {
            say(cannotRun: program, rc)
            return 1
        }
        // The wait status: an exit code in bits 8-15 when the low 7 bits (the signal) are 0.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 1
    }

    /// The hook gitci was installed over (`gitci install --force`), when there is one.
    static func chainedHook(of hook: String) -> String? {
        let chained = hook + ".before-gitci"
        return access(chained, X_OK) == 0 ? chained : nil
    }

    static func say(cannotRun program: String, _ rc: Int32) {
        let consequence = program.hasSuffix(".before-gitci") ? "" : "; this push was not queued for a build"
        say("gitci: cannot run \(program) (\(String(cString: strerror(rc))))\(consequence)")
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
