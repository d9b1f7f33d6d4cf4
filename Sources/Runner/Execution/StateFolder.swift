public import Foundation
import HookIntake
import Store

/// gitci's per-repository state: `<git common dir>/gitci/`, holding run logs, submodule
/// mirrors (and, with the results issue, the SQLite index); job workspaces are outside the
/// repository (WorkspaceRoot). Inside `.git`, so it is never
/// committed, is shared by all worktrees, and exists in bare repositories too.
public struct StateFolder: Sendable {
    public let path: String

    public init(gitCommonDirectory: String) {
        self.path = StateLayout.folder(of: gitCommonDirectory)
    }

    public var logs: String { StateLayout.path(StateLayout.logs, in: path) }
    /// This repository's workspaces, outside its git directory (WorkspaceRoot).
    public var workspaces: String { WorkspaceRoot.path(gitCommonDirectory: (path as NSString).deletingLastPathComponent) }
    /// Bare mirrors of submodules, `<name>-<hash of the URL>.git` (mirror(forURL:)), whose
    /// objects job workspaces borrow (read-only in a sandbox).
    public var mirrors: String { StateLayout.path(StateLayout.mirrors, in: path) }
    /// The artifact store (ArtifactStore).
    public var artifacts: ArtifactStore { ArtifactStore(path: StateLayout.path(StateLayout.artifacts, in: path)) }
    /// The HOME of sandboxed steps (Sandbox).
    public var home: String { StateLayout.path(StateLayout.home, in: path) }
    /// The venvs of `python:` jobs (PythonEnvironment).
    public var venvs: String { StateLayout.path(StateLayout.venvs, in: path) }
    /// tox's work folders of `from: tox` jobs (ToxTool).
    public var toxWork: String { StateLayout.path(StateLayout.tox, in: path) }

    /// The mirror of the repository at `url`: named after its last component, and a hash of
    /// the whole URL so that two URLs never share one.
    public func mirror(forURL url: String) -> String {
        var name = (url as NSString).lastPathComponent
        if name.hasSuffix(".git"), name.count > 4 { name.removeLast(4) }
        return (mirrors as NSString).appendingPathComponent(FileName.safe(name, limit: 40) + "-" + StableHash.hex(url, digits: 12) + ".git")
    }

    public struct Unusable: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "gitci: cannot use the state folder \(path): \(reason)" }
    }

    /// Creates the folders for one run and returns them. A retried build keeps its run id, and
    /// so finds its folders there already. Spare folders (makeSpareRun) are taken when there are.
    public func prepareRun(_ runID: String) throws(Unusable) -> (logs: String, workspaces: String) {
        let runLogs = (logs as NSString).appendingPathComponent(runID)
        let workspaces = self.workspaces
        let runWorkspaces = (workspaces as NSString).appendingPathComponent(runID)
        guard WorkspaceRoot.makePrivateFolders(workspaces) else {
            throw Unusable(path: workspaces, reason: String(cString: strerror(errno)))
        }
        for folder in [runLogs, runWorkspaces] {
            // Fails harmlessly when there is no spare, or the run's folder is there already and
            // not empty (a retried build's).
            if Spare.take(Spare.run, as: folder) { continue }
            // Plain mkdir(2) first: this is on the way to every build's first step, and the
            // parents exist after the first run.
            if mkdir(folder, 0o777) == 0 || errno == EEXIST { continue }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw Unusable(path: path, reason: (error as NSError).localizedDescription)
            }
        }
        return (runLogs, runWorkspaces)
    }

    /// Names of what makeSpareRun makes ahead.
    enum Spare {
        /// In `logs/` and in `workspaces/`: a run's folder.
        static let run = ".spare-run"
        /// In the logs folder: a job's log file.
        static let log = ".spare-log"
        /// In the workspaces folder: a job's workspace folder.
        static let workspace = ".spare-job"

        /// Renames the spare `name` in `path`'s folder to `path`. False when there is none (or
        /// `path` is a folder that is there and not empty).
        @discardableResult
        static func take(_ name: String, as path: String) -> Bool {
            rename(((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name), path) == 0
        }
    }

    /// Makes the folders and the log file of a run's first job ahead, where none are: the next
    /// run takes them by renaming them (prepareRun, LogFile, WorkspaceSource). On a file system
    /// where handing out an inode is the slow part (this machine's ext4: 0.2-0.25 ms a folder or
    /// file, against ~0.02 ms a rename), that is ~0.6 ms less on every build's way to its first
    /// step. A worker makes them when a build has ended, and `gitci install` does; nothing is
    /// made where the state folder itself is missing.
    public func makeSpareRun() {
        guard access(path, F_OK) == 0 else { return }
        for (parent, inner, isFolder) in [(logs, Spare.log, false), (workspaces, Spare.workspace, true)] {
            let spare = (parent as NSString).appendingPathComponent(Spare.run)
            guard access(spare, F_OK) != 0 else { continue }
            if parent == logs ? (mkdir(parent, 0o777) != 0 && errno != EEXIST) : !WorkspaceRoot.makePrivateFolders(parent) { continue }
            // Made aside and renamed: a run never takes half a spare.
            let aside = spare + "-" + String(getpid())
            guard mkdir(aside, 0o777) == 0 else { continue }
            let content = (aside as NSString).appendingPathComponent(inner)
            let made = isFolder ? mkdir(content, 0o777) == 0 : Self.makeEmptyFile(content)
            guard made, rename(aside, spare) == 0 else {
                // Another process made one meanwhile, or this one could not.
                try? FileManager.default.removeItem(atPath: aside)
                continue
            }
        }
    }

    private static func makeEmptyFile(_ path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }

    /// A sortable, unique run id: `20261125-083000-3fa2`.
    public static func newRunID(at date: Date = Date()) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let day = Timestamp.digits(Int(parts.tm_year) + 1900, 4) + Timestamp.digits(Int(parts.tm_mon) + 1, 2)
            + Timestamp.digits(Int(parts.tm_mday), 2)
        let clock = Timestamp.digits(Int(parts.tm_hour), 2) + Timestamp.digits(Int(parts.tm_min), 2) + Timestamp.digits(Int(parts.tm_sec), 2)
        return day + "-" + clock + "-" + Timestamp.digits(Int(UInt16.random(in: .min ... .max)), 4, radix: 16)
    }
}

enum FileName {
    /// A job name made safe for a file name, prefixed with its position so that two names that
    /// sanitise alike still get different files.
    static func forJob(_ name: String, position: Int) -> String {
        // Not String(format:): Foundation's formatting is slow on its first use, which is in
        // every worker a push starts.
        Timestamp.digits(position, 3) + "-" + safe(name, limit: 80)
    }

    /// `name` in `[A-Za-z0-9._-]` only, at most `limit` characters, no leading dot: safe in a
    /// path and beside `=` in a `VAR=value` word (`env NO_COLOR= $dir/tool` takes a path
    /// holding `=` for an assignment).
    static func safe(_ name: String, limit: Int) -> String {
        // Bytes by ASCII value, not Characters through a Set and a generic String initialiser:
        // hashing Characters normalises them, and both cost ~0.1 ms of first use on the way to
        // every build's first step. Every other character, whatever its bytes, is one `_`.
        var bytes: [UInt8] = []
        for character in name {
            guard bytes.count < limit else { break }
            let byte = character.asciiValue ?? 0
            switch byte {
            case 0x61...0x7A, 0x41...0x5A, 0x30...0x39, 0x2E, 0x2D, 0x5F: bytes.append(byte)
            default: bytes.append(UInt8(ascii: "_"))
            }
        }
        return String(decoding: bytes.drop { $0 == UInt8(ascii: ".") }, as: UTF8.self)
    }
}

enum Host {
    /// The node name results record: the host name, without a DNS lookup.
    static let name: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}

// MARK: - Log paths in notes

extension StateFolder {
    /// A job log's path as a note records it: `logs/<run id>/<file>`, relative to the state
    /// folder, so that a note does not carry one machine's absolute paths. A log elsewhere is
    /// kept as given.
    public static func recordedLogPath(_ path: String) -> String {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard path.hasPrefix("/"), components.count >= 3, components[components.count - 3] == StateLayout.logs else { return path }
        return components.suffix(3).joined(separator: "/")
    }

    /// Where the log a note records is on this machine: a relative path (new records) is in
    /// this state folder; an absolute one (older records) is where it was written.
    public func logPath(recorded: String) -> String {
        recorded.hasPrefix("/") ? recorded : (path as NSString).appendingPathComponent(recorded)
    }
}

extension StateFolder {
    /// The log job `job` of run `runID` is writing (LocalRun names it `NNN-<job>.log`), for a
    /// job whose result is not in the notes yet.
    public func log(ofJob job: String, run runID: String) -> String? {
        let folder = (logs as NSString).appendingPathComponent(runID)
        let wanted = "-" + FileName.safe(job, limit: 80) + ".log"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().first { $0.hasSuffix(wanted) && $0.count == wanted.count + 3 }
            .map { (folder as NSString).appendingPathComponent($0) }
    }
}
