public import GitKit
import Foundation
import Pipeline

/// What a job's workspace is made of. Every job gets a fresh folder of its own, so that jobs
/// running side by side never see each other's files.
public enum WorkspaceSource: Sendable {
    /// A commit, checked out from the repository at `gitDirectory` as a git working tree of
    /// its own (Repository.makeWorkspace), submodules included as the job asks.
    case commit(gitDirectory: String, commit: ObjectID)
    /// A snapshot of a working tree: `files` (relative paths) copied from `root` as they are now,
    /// with a `.git` whose HEAD and index are at `base` (the commit the working tree is on), so
    /// that git sees the changes not committed as such. No `.git` when there is no commit yet.
    case workingTree(root: String, files: [String], gitDirectory: String = "", base: ObjectID? = nil)

    public struct PreparationError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Fills `directory` (which must not exist yet), in the spare workspace folder of its run's
    /// folder when there is one (StateFolder.makeSpareRun). `branch` is the branch HEAD is put
    /// on (nil: HEAD detached at the commit).
    func prepare(_ directory: String, branch: String? = nil, submodules: Submodules = .checkedOut) throws(PreparationError) {
        StateFolder.Spare.take(StateFolder.Spare.workspace, as: directory)
        switch self {
        case .commit(let gitDirectory, let commit):
            do throws(GitError) {
                // One Repository per job: libgit2 handles must not be shared between threads.
                let repository = try Repository.open(gitDirectory)
                let workspace = try repository.makeWorkspace(of: commit, in: directory, branch: branch)
                if submodules != .skipped {
                    let base = SubmoduleCheckout.base(of: repository)
                    let checkout = SubmoduleCheckout(stateFolder: StateFolder(gitCommonDirectory: repository.commonDirectory),
                                                     recursive: submodules == .recursive,
                                                     policy: SubmoduleURLPolicy(repository: repository, base: base))
                    try checkout.checkOut(in: workspace, at: commit, base: base, folder: directory)
                }
            } catch {
                throw PreparationError(description: "cannot check out \(commit.short): \(error.message)")
            }
        case .workingTree(let root, let files, let gitDirectory, let base):
            let manager = FileManager.default
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                var madeFolders = Set<String>()
                for file in files {
                    let target = directory + "/" + file
                    let parent = (target as NSString).deletingLastPathComponent
                    if madeFolders.insert(parent).inserted {
                        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
                    }
                    // copyItem keeps symbolic links as links and keeps the executable bit.
                    try manager.copyItem(atPath: root + "/" + file, toPath: target)
                }
            } catch {
                throw PreparationError(description: "cannot copy the working tree: \((error as NSError).localizedDescription)")
            }
            guard let base else { return }
            do throws(GitError) {
                try Repository.open(gitDirectory).makeWorkspace(of: base, in: directory, branch: branch, checkOut: false)
            } catch {
                throw PreparationError(description: "cannot make the workspace's .git at \(base.short): \(error.message)")
            }
        }
    }
}

/// Checks out the submodules of a workspace at the commits its tree records, each from a bare
/// mirror in the state folder (fetched only when it lacks that commit), each a git working tree
/// of its own borrowing the mirror's objects.
package struct SubmoduleCheckout {
    let stateFolder: StateFolder
    let recursive: Bool
    /// The top repository's: nested submodules may reach no further than it may.
    let policy: SubmoduleURLPolicy

    /// What relative submodule URLs of `repository` are resolved against, as git does: a clone's
    /// `origin` (a developer's clone of the server's repository finds the server's submodules),
    /// else the repository's own path (a bare repository on the server: its siblings). Relative
    /// `repos:` URLs resolve against it too (the worker's triggers find their repositories so).
    package static func base(of repository: Repository) -> String {
        guard let workingTree = repository.workingDirectory else { return repository.gitDirectory }
        guard let origin = repository.configValue("remote.origin.url"), !origin.isEmpty else { return workingTree }
        return Submodule.resolve(origin, against: workingTree)
    }

    /// `base` is the URL or path relative submodule URLs are resolved against: the superproject's;
    /// `folder` is the superproject's working tree, `prefix` its path in the job's workspace.
    func checkOut(in workspace: Repository, at commit: ObjectID, base: String, folder: String, prefix: String = "") throws(GitError) {
        let submodules: [Submodule]
        do {
            submodules = try workspace.submodules(at: commit)
        } catch {
            throw GitError(code: -1, message: error.description)
        }
        guard !submodules.isEmpty else { return }
        if mkdir(stateFolder.mirrors, 0o700) != 0, errno != EEXIST {
            throw GitError(code: -1, message: "cannot make \(stateFolder.mirrors): \(String(cString: strerror(errno)))")
        }
        for submodule in submodules {
            let url = submodule.resolvedURL(against: base)
            let target = folder + "/" + submodule.path
            let inner: Repository
            do {
                let source = try policy.source(for: url)
                let mirror = try Repository.mirror(of: source, at: stateFolder.mirror(forURL: url), holding: submodule.commit)
                inner = try mirror.makeWorkspace(of: submodule.commit, in: target, branch: nil)
            } catch {
                throw GitError(code: error.code, message: "submodule \(prefix + submodule.path) (\(url)) at \(submodule.commit.short): \(error.message)")
            }
            if recursive {
                try checkOut(in: inner, at: submodule.commit, base: url, folder: target, prefix: prefix + submodule.path + "/")
            }
        }
    }
}
