import Foundation
import GitKit
import Pipeline

extension JobRepos {
    /// Checks out every entry at its pinned commit, at its path inside the job's workspace
    /// (already filled with the job's own checkout): a git working tree of its own borrowing
    /// its mirror's objects, submodules included as the job's `submodules:` says. Throws the
    /// problem the pinning found, naming the entry, before anything is written.
    func checkOut(into workspace: String, submodules: Submodules) throws(WorkspaceSource.PreparationError) {
        if let problem { throw .init(description: problem) }
        guard !entries.isEmpty else { return }
        for entry in entries.sorted(by: { $0.path < $1.path }) {
            let target = workspace + "/" + entry.path
            do throws(GitError) {
                try Self.checkPlace(entry.path, in: workspace)
                let mirror = try Repository.open(entry.mirror)
                let checkout = try mirror.makeWorkspace(of: entry.commit, in: target, branch: entry.branch)
                if submodules != .skipped, let stateFolder, let submodulePolicy {
                    try SubmoduleCheckout(stateFolder: stateFolder, recursive: submodules == .recursive, policy: submodulePolicy)
                        .checkOut(in: checkout, at: entry.commit, base: entry.resolvedURL, folder: target, prefix: entry.path + "/")
                }
            } catch {
                throw .init(description: "repos entry '\(entry.name)' (\(FetchAuthentication.redacted(entry.url))): \(error.message)")
            }
        }
    }

    /// What the workspace has on the way to `path` (a working tree run copies files the commit
    /// does not hold): folders only, and at `path` nothing, or an empty folder.
    static func checkPlace(_ path: String, in workspace: String) throws(GitError) {
        var current = workspace
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            current += "/" + component
            var status = stat()
            guard lstat(current, &status) == 0 else { return }
            let relative = components[...index].joined(separator: "/")
            switch status.st_mode & S_IFMT {
            case S_IFLNK:
                throw GitError(code: -1, message: "its path '\(path)' goes through '\(relative)', a symbolic link in the workspace, which could lead out of it")
            case S_IFDIR:
                if index == components.count - 1, let contents = try? FileManager.default.contentsOfDirectory(atPath: current), !contents.isEmpty {
                    throw GitError(code: -1, message: "its path '\(path)' is a folder of the workspace that is not empty")
                }
            default:
                throw GitError(code: -1, message: "its path '\(path)' goes through '\(relative)', a file in the workspace")
            }
        }
    }
}
