import Glibc

/// The pre-receive hook's own work, for the lean `gitci-hook`: results (refs/notes/gitci*) and
/// gitci's refs (refs/gitci/*) are written by the worker on this server only, so a push to
/// them is refused; any other push gets its worker started now, when none runs, while git still
/// moves the pushed objects into place and updates the refs. The post-receive hook then finds
/// it running (or loading) instead of starting it ~10 ms later.
public enum PreReceive {
    /// The refs of `input` (git's `old new ref` lines) that no client may push.
    public static func refusedRefs(in input: [UInt8]) -> [String] {
        String(decoding: input, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3 else { return nil }
            let ref = String(fields[2])
            return ref.hasPrefix("refs/notes/gitci") || ref.hasPrefix("refs/gitci/") ? ref : nil
        }
    }

    public static func refusal(of ref: String) -> String {
        "gitci: \(ref) is written by gitci on this server only; push refused"
    }

    /// Leaves the worker a hint of the push (PushHint) and starts the worker unless one runs;
    /// one that runs is nudged to read the hint, or else left alone (the post-receive hook
    /// nudges it once the push is queued). Only where gitci is installed (its queue exists),
    /// and not for a push that asks to build nothing (`-o ci.skip`).
    public static func startWorkerEarly(input: [UInt8], gitDirectory: String, gitci: String) {
        let options = PushEvent.pushOptions { getenv($0).map { String(cString: $0) } }
        guard !options.contains("ci.skip") else { return }
        let stateFolder = gitDirectory + "/gitci"
        guard access(stateFolder + "/queue.sqlite", W_OK) == 0 else { return }
        // A worker that cannot start now is the post-receive hook's to report.
        let started = (try? WorkerLauncher.ensureRunning(gitDirectory: gitDirectory, stateFolder: stateFolder, gitci: gitci,
                                                         pushQueued: false)) ?? false
        // Written once a new worker is on its way: it looks for hints when it has loaded,
        // milliseconds from now. A running worker is nudged to read it.
        if let hint = PushHint.forPush(input, push: ReceivingPush.current(), optionCount: options.count),
           hint.write(in: stateFolder), !started {
            WorkerLauncher.nudgeRunning(stateFolder: stateFolder)
        }
    }
}
