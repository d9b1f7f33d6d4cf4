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
        if rc == GIT_EBUFS.rawValue, let id = longReferenceTarget(Self.shortNameCandidates(revision)) {
            return id
        }
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
        guard git_repository_head(&reference, handle) == 0 else { return longCurrentBranch }
        defer { git_reference_free(reference) }
        guard git_reference_is_branch(reference) == 1, let name = git_reference_shorthand(reference) else { return nil }
        return String(cString: name)
    }

    /// The branch HEAD names when libgit2 cannot follow it there (a name too long for it):
    /// read from HEAD itself, which libgit2 does not resolve when only looking it up.
    private var longCurrentBranch: String? {
        var head: OpaquePointer?
        guard git_reference_lookup(&head, handle, "HEAD") == 0 else { return nil }
        defer { git_reference_free(head) }
        guard git_reference_type(head) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(head) else { return nil }
        let name = String(cString: target)
        guard name.hasPrefix(Self.branchPrefix), name.utf8.count >= Self.libgit2RefNameLimit else { return nil }
        return String(name.dropFirst(Self.branchPrefix.count))
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
        let rc = git_reference_name_to_id(&oid, handle, Self.branchPrefix + branch)
        if rc == GIT_EBUFS.rawValue { return longReferenceTarget([Self.branchPrefix + branch]) }
        guard rc == 0 else { return nil }
        return try? resolveCommit(ObjectID(oid).hex)
    }
}

// MARK: - Names longer than libgit2's lookups take

extension Repository {
    static let branchPrefix = "refs/heads/"

    /// libgit2 normalizes a reference name into a fixed buffer of this many bytes before any
    /// lookup (GIT_REFNAME_MAX) and fails with GIT_EBUFS for longer names, which git itself
    /// accepts (a branch name may be several thousand characters long).
    static let libgit2RefNameLimit = 1024

    /// The full names a short name may stand for, in the order git tries them (gitrevisions).
    static func shortNameCandidates(_ name: String) -> [String] {
        [name, "refs/" + name, "refs/tags/" + name, branchPrefix + name, "refs/remotes/" + name, "refs/remotes/" + name + "/HEAD"]
    }

    /// The commit the first of `names` that exists points at, found by walking the references
    /// (which libgit2 lists whatever their length) instead of looking names up: only for names
    /// its lookups cannot take, so the walk's cost is paid by those alone.
    func longReferenceTarget(_ names: [String]) -> ObjectID? {
        var iterator: OpaquePointer?
        guard git_reference_iterator_new(&iterator, handle) == 0 else { return nil }
        defer { git_reference_iterator_free(iterator) }
        var best: (rank: Int, id: ObjectID)?
        var reference: OpaquePointer?
        while git_reference_next(&reference, iterator) == 0 {
            defer { git_reference_free(reference) }
            guard let name = git_reference_name(reference),
                  let rank = names.firstIndex(of: String(cString: name)), best.map({ rank < $0.rank }) ?? true else { continue }
            var commit: OpaquePointer?
            guard git_reference_peel(&commit, reference, GIT_OBJECT_COMMIT) == 0 else { continue }
            best = (rank, ObjectID(git_object_id(commit).pointee))
            git_object_free(commit)
        }
        return best?.id
    }
}
