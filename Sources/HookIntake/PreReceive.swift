import Glibc

/// The pre-receive hook's own work, for the lean `gitci-hook`: results (refs/notes/gitci*) and
/// gitci's refs (refs/gitci/*) are written by the worker on this server only, so a push to
/// them is refused; any other push gets its worker started now, when none runs, while git still
/// moves the pushed objects into place and updates the refs. The post-receive hook then finds
/// it loaded (or loading) and nudges it, instead of starting it then and waiting for its load.
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

    /// Starts the worker unless one runs (a running one has nothing to look at yet: the
    /// post-receive hook nudges it once the push is queued). Only where gitci is installed (its
    /// queue exists), and not for a push that asks to build nothing (`-o ci.skip`).
    public static func startWorkerEarly(gitDirectory: String, gitci: String) {
        let options = PushEvent.pushOptions { getenv($0).map { String(cString: $0) } }
        guard !options.contains("ci.skip") else { return }
        let stateFolder = StateLayout.folder(of: gitDirectory)
        guard access(StateLayout.path(StateLayout.queue, in: stateFolder), W_OK) == 0 else { return }
        // A worker that cannot start now is the post-receive hook's to report.
        _ = try? WorkerLauncher.ensureRunning(gitDirectory: gitDirectory, stateFolder: stateFolder, gitci: gitci, pushQueued: false)
    }
}
