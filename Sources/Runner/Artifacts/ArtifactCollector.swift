import Foundation
public import Pipeline
public import Store

/// Artifact names: paths relative to a job's workspace.
enum ArtifactPaths {
    /// `name` without `.` or empty segments; nil when it is empty, absolute or has a `..`.
    static func safeName(_ name: String) -> String? {
        guard !name.hasPrefix("/") else { return nil }
        let segments = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !segments.isEmpty, !segments.contains("..") else { return nil }
        return segments.joined(separator: "/")
    }
}

/// Finds the files a job's `artifacts:` patterns select in its workspace and stores them.
///
/// Patterns follow InputPatterns (`*`, `**`, `?`, a folder whole, `!` leaves out). A symbolic
/// link is taken, as the file it points to, only when that file is in the workspace: a link
/// elsewhere (`/etc/passwd`, another job's folder) is not followed, and the log says so.
public enum ArtifactCollector {
    public struct Outcome: Sendable {
        public var artifacts: [NoteRecord.Artifact] = []
        /// Lines for the job's log: what was kept, what matched nothing, what was refused.
        public var messages: [String] = []
        /// Why the job fails because of its artifacts (one could not be stored; a pattern
        /// matched nothing with `artifacts_required`).
        public var failure: String?
    }

    public static func collect(_ config: JobConfig, workspace: String, store: ArtifactStore) -> Outcome {
        var outcome = Outcome()
        for pattern in config.artifacts {
            let path = pattern.hasPrefix("!") ? String(pattern.dropFirst()) : pattern
            if path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                outcome.failure = "artifact pattern '\(pattern)' leaves the workspace"
                outcome.messages.append("artifacts: \(outcome.failure!); nothing kept")
                return outcome
            }
        }
        let selection = InputPatterns(config.artifacts)
        let root = workspace.hasSuffix("/") ? String(workspace.dropLast()) : workspace
        let realRoot = realPath(root) ?? root
        var found: [(name: String, file: String)] = []
        walk(root, "", selection: selection, realRoot: realRoot, found: &found, messages: &outcome.messages)

        for include in selection.includes {
            let one = InputPatterns([include])
            guard !found.contains(where: { one.selects(file: $0.name) }) else { continue }
            let written = include.isEmpty ? "." : include
            if config.artifactsRequired {
                outcome.failure = "artifact pattern '\(written)' matched nothing (artifacts_required)"
                outcome.messages.append("artifacts: \(outcome.failure!)")
            } else {
                outcome.messages.append("artifacts: warning: '\(written)' matched nothing")
            }
        }
        for (name, file) in found {
            do {
                let stored = try store.store(file: file)
                outcome.artifacts.append(NoteRecord.Artifact(name: name, size: stored.size, sha256: stored.sha256))
                outcome.messages.append("artifacts: kept \(name) (\(stored.size) bytes, sha256 \(stored.sha256.prefix(12)))")
            } catch {
                outcome.failure = "cannot keep artifact '\(name)': \(error.description)"
                outcome.messages.append("artifacts: \(outcome.failure!)")
            }
        }
        return outcome
    }

    /// Places `artifacts` (from the jobs this one depends on) in `workspace` under their names.
    public static func place(_ artifacts: [NoteRecord.Artifact], into workspace: String, from store: ArtifactStore) throws(ArtifactStore.Failure) {
        for artifact in artifacts {
            try store.restore(artifact, into: workspace)
        }
    }

    /// Every file `selection` takes under `root/relative`, in name order, without entering
    /// folders it cannot select anything in, nor the workspace's own `.git`.
    /// `label` starts its messages (`artifacts`, `junit`).
    static func walk(_ root: String, _ relative: String, selection: InputPatterns, realRoot: String,
                     found: inout [(name: String, file: String)], messages: inout [String], label: String = "artifacts") {
        let folder = relative.isEmpty ? root : root + "/" + relative
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() {
            if relative.isEmpty, name == ".git" { continue }
            let path = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + path
            var status = stat()
            guard lstat(full, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                if selection.verdict(path: path, isTree: true) != .skip {
                    walk(root, path, selection: selection, realRoot: realRoot, found: &found, messages: &messages, label: label)
                }
            case S_IFREG:
                if selection.selects(file: path) { found.append((path, full)) }
            case S_IFLNK:
                guard selection.selects(file: path) else { continue }
                guard let target = realPath(full), target.hasPrefix(realRoot + "/") else {
                    messages.append("\(label): warning: \(path) is a symbolic link to outside the workspace; not followed")
                    continue
                }
                var targetStatus = stat()
                if stat(target, &targetStatus) == 0, targetStatus.st_mode & S_IFMT == S_IFREG {
                    found.append((path, target))
                } else {
                    messages.append("\(label): warning: \(path) is a symbolic link to a folder; not followed")
                }
            default:
                continue
            }
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
