internal import CLibgit2

/// What callers need of a commit, copied out of libgit2.
public struct CommitInfo: Sendable, Hashable {
    public let id: ObjectID
    public let tree: ObjectID
    public let summary: String
    public let message: String
    public let authorName: String
    public let time: Int64
    public let parents: [ObjectID]
}

extension Repository {
    /// Resolves any revision `git rev-parse` understands (`HEAD`, `main~2`, a short id, a tag)
    /// to the commit it names.
    public func resolveCommit(_ revision: String) throws(GitError) -> ObjectID {
        var object: OpaquePointer?
        let rc = git_revparse_single(&object, handle, revision)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EAMBIGUOUS.rawValue || rc == GIT_EINVALIDSPEC.rawValue {
            throw GitError(code: rc, message: "unknown revision '\(revision)'")
        }
        try git(rc, "cannot resolve '\(revision)'")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        let peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        if peeled < 0 {
            throw GitError(code: peeled, message: "'\(revision)' does not name a commit")
        }
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    public func commit(_ id: ObjectID) throws(GitError) -> CommitInfo {
        var oid = id.raw
        var commit: OpaquePointer?
        try git(git_commit_lookup(&commit, handle, &oid), "cannot read commit \(id.short)")
        defer { git_commit_free(commit) }
        let author = git_commit_author(commit)
        var parents: [ObjectID] = []
        for index in 0..<git_commit_parentcount(commit) {
            if let parent = git_commit_parent_id(commit, index) { parents.append(ObjectID(parent.pointee)) }
        }
        return CommitInfo(
            id: id,
            tree: ObjectID(git_commit_tree_id(commit).pointee),
            summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            message: git_commit_message(commit).map { String(cString: $0) } ?? "",
            authorName: author.flatMap { $0.pointee.name.map { String(cString: $0) } } ?? "",
            time: Int64(git_commit_time(commit)),
            parents: parents
        )
    }

    /// The branch HEAD points at (`main`, `feature/x`), or nil when HEAD is detached or unborn.
    public var currentBranch: String? {
        var reference: OpaquePointer?
        guard git_repository_head(&reference, handle) == 0 else { return nil }
        defer { git_reference_free(reference) }
        guard git_reference_is_branch(reference) == 1, let name = git_reference_shorthand(reference) else { return nil }
        return String(cString: name)
    }

    /// The commit HEAD points at, or nil in a repository with no commits yet.
    public var headCommit: ObjectID? {
        try? resolveCommit("HEAD")
    }
}

extension Repository {
    /// The commit a local branch points at, or nil when there is no such branch.
    public func branchTip(_ branch: String) -> ObjectID? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, handle, "refs/heads/" + branch) == 0 else { return nil }
        return try? resolveCommit(ObjectID(oid).hex)
    }
}
