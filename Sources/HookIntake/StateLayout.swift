/// gitci's on-disk contract in a repository: the state folder inside the git (common)
/// directory, the names of what it holds, and the command line by which a hook starts the
/// worker. The lean hook, `gitci`'s own hook, the worker and the commands all take them from
/// here (C code is handed them), so that a name changes in one place. Here because HookIntake
/// is the lowest target the lean hook and the worker both link; it has no Foundation.
public enum StateLayout {
    /// `<git dir>/gitci`: inside the git directory, so it is never committed, is shared by all
    /// worktrees, and exists in bare repositories too.
    public static let folderName = "gitci"
    /// The durable queue (SQLite, WAL): pushes, plan branches, builds. Not rebuildable.
    public static let queue = "queue.sqlite"
    /// The results index (SQLite, WAL): a cache of the notes, rebuilt when missing or corrupt.
    public static let index = "index.sqlite"
    /// The one-worker-per-repository lock (WorkerLock), holding the worker's pid.
    public static let workerLock = "worker.lock"
    /// Where a worker started in the background writes what it says.
    public static let workerLog = "worker.log"
    /// Where a hook puts a push the queue cannot take (one JSON event a line).
    public static let spool = "spool.jsonl"
    /// Run logs, `logs/<run id>/NNN-<job>.log`.
    public static let logs = "logs"
    /// Bare mirrors of submodules, `mirrors/<name>-<hash of the URL>.git`.
    public static let mirrors = "mirrors"
    /// Results kept while the notes could not be written, one file per run.
    public static let pendingResults = "pending-results"
    /// Jobs' artifacts, content-addressed: `artifacts/ab/cdef…` named by the SHA-256 of the
    /// content, so that the same file kept by many builds is stored once.
    public static let artifacts = "artifacts"
    /// The HOME of the repository's sandboxed steps, kept between builds (their caches).
    public static let home = "home"
    /// The venvs of `python:` jobs, `venvs/<scope>/<key>/slot-<n>/` (PythonEnvironment): per plan
    /// branch, so that no build uses a venv another branch's build made.
    public static let venvs = "venvs"
    /// When each `schedules:` entry last fired (ScheduledBuilds), JSON, written whole.
    public static let schedules = "schedules.json"
    /// tox's work folders of `from: tox` jobs, `tox/<scope>/<environment>/slot-<n>/`, kept so that
    /// a second build does not make every tox environment again.
    public static let tox = "tox"

    /// The state folder of the repository whose git (common) directory is `gitDirectory`.
    public static func folder(of gitDirectory: String) -> String {
        join(gitDirectory, folderName)
    }

    /// `name` (one of the names above) in `stateFolder`.
    public static func path(_ name: String, in stateFolder: String) -> String {
        join(stateFolder, name)
    }

    /// `folder/name`, whether or not `folder` ends with a slash (libgit2 gives directories so).
    static func join(_ folder: String, _ name: String) -> String {
        var folder = Substring(folder)
        while folder.count > 1, folder.hasSuffix("/") { folder = folder.dropLast() }
        return folder == "/" ? "/" + name : folder + "/" + name
    }

    /// The command line a hook starts the worker with, after the gitci executable:
    /// `worker --started-by-hook [--awaiting-push] --repo <git dir>`. `gitci` reads exactly
    /// this without ArgumentParser (WorkerCommand), so its option names come from here too.
    public enum WorkerCommand {
        public static let name = "worker"
        /// Long option names, without their dashes.
        public static let startedByHook = "started-by-hook"
        /// The pre-receive hook's: the push the worker is started for is yet to be queued.
        public static let awaitingPush = "awaiting-push"
        public static let repository = "repo"

        public static func arguments(gitDirectory: String, awaitingPush: Bool) -> [String] {
            [name, "--" + startedByHook] + (awaitingPush ? ["--" + Self.awaitingPush] : []) + ["--" + repository, gitDirectory]
        }

        /// The git directory and whether the worker awaits its push, when `arguments` (after
        /// the executable) are exactly what `arguments(gitDirectory:awaitingPush:)` makes.
        public static func parse(_ arguments: ArraySlice<String>) -> (gitDirectory: String, awaitingPush: Bool)? {
            var rest = arguments
            guard rest.popFirst() == name, rest.popFirst() == "--" + startedByHook else { return nil }
            let awaiting = rest.first == "--" + awaitingPush
            if awaiting { rest.removeFirst() }
            guard rest.count == 2, rest.first == "--" + repository, let gitDirectory = rest.last else { return nil }
            return (gitDirectory, awaiting)
        }
    }
}
