internal import CLibgit2
import Foundation

/// An open git repository. Owns its libgit2 handle; libgit2 objects are not thread-safe, so a
/// `Repository` stays inside the task or thread that opened it and hands out value types only.
public final class Repository {
    let handle: OpaquePointer

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        git_repository_free(handle)
    }

    /// Opens the repository at `path` exactly (a working tree or a bare repository), or
    /// searches upwards from it when `search` is set, as `git` does from a subfolder.
    ///
    /// `GIT_DIR` and friends in the environment are ignored on purpose: hooks run with
    /// `GIT_DIR=.`, and gitci always names the repository it means.
    public static func open(_ path: String, search: Bool = false) throws(GitError) -> Repository {
        _ = Libgit2.initialized
        var pointer: OpaquePointer?
        let flags = search ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        let rc = git_repository_open_ext(&pointer, path, flags, nil)
        if rc == GIT_ENOTFOUND.rawValue {
            throw GitError(code: rc, message: "not a git repository: \(path)")
        }
        try git(rc, "cannot open repository \(path)")
        guard let pointer else { throw GitError(code: -1, message: "cannot open repository \(path)") }
        return Repository(handle: pointer)
    }

    /// Creates a repository (used by tests and the demo).
    public static func create(_ path: String, bare: Bool = false) throws(GitError) -> Repository {
        _ = Libgit2.initialized
        var pointer: OpaquePointer?
        try git(git_repository_init(&pointer, path, bare ? 1 : 0), "cannot create repository \(path)")
        guard let pointer else { throw GitError(code: -1, message: "cannot create repository \(path)") }
        return Repository(handle: pointer)
    }

    public var isBare: Bool { git_repository_is_bare(handle) == 1 }

    /// The `.git` folder (or the bare repository itself), without a trailing slash.
    public var gitDirectory: String {
        Self.trimmingSlash(String(cString: git_repository_path(handle)))
    }

    /// Where `.git` lives for linked worktrees' shared data; gitci's state folder goes here so that
    /// every worktree of one repository shares one index and queue.
    public var commonDirectory: String {
        Self.trimmingSlash(String(cString: git_repository_commondir(handle)))
    }

    /// The working tree, or nil for a bare repository.
    public var workingDirectory: String? {
        guard let path = git_repository_workdir(handle) else { return nil }
        return Self.trimmingSlash(String(cString: path))
    }

    private static func trimmingSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
