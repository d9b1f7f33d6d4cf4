internal import CLibgit2

extension Repository {
    /// The commit `ref` points at, peeled through tags, or nil when the ref does not exist or
    /// does not lead to a commit. `ref` is a full name (`refs/notes/gitci`) or a short one git
    /// would expand (`main`).
    public func referenceTarget(_ ref: String) -> ObjectID? {
        var reference: OpaquePointer?
        if git_reference_lookup(&reference, handle, ref) < 0,
           git_reference_dwim(&reference, handle, ref) < 0 {
            return ref.utf8.count >= Self.libgit2RefNameLimit ? longReferenceTarget(Self.shortNameCandidates(ref)) : nil
        }
        defer { git_reference_free(reference) }
        var commit: OpaquePointer?
        guard git_reference_peel(&commit, reference, GIT_OBJECT_COMMIT) == 0 else { return nil }
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    /// Deletes `ref` (a full name); nothing happens when there is no such ref.
    public func deleteReference(_ ref: String) throws(GitError) {
        var reference: OpaquePointer?
        let rc = git_reference_lookup(&reference, handle, ref)
        if rc == GIT_ENOTFOUND.rawValue { return }
        try git(rc, "cannot read \(ref)")
        defer { git_reference_free(reference) }
        try git(git_reference_delete(reference), "cannot delete \(ref)")
    }

    /// First-parent history from `start` (included), newest first, at most `limit` commits:
    /// a branch's own line of commits, with merged-in side branches left out.
    public func firstParentHistory(from start: ObjectID, limit: Int) throws(GitError) -> [CommitInfo] {
        var history: [CommitInfo] = []
        var next: ObjectID? = start
        while let id = next, history.count < limit {
            let info = try commit(id)
            history.append(info)
            next = info.parents.first
        }
        return history
    }

    /// Whether `ancestor` is reachable from `descendant` (a commit is not its own ancestor).
    func isAncestor(_ ancestor: git_oid, of descendant: git_oid) throws(GitError) -> Bool {
        var a = ancestor
        var d = descendant
        return try git(git_graph_descendant_of(handle, &d, &a), "cannot compare notes histories") == 1
    }

    /// The best common ancestor of two commits, or nil when their histories are unrelated.
    func mergeBase(_ one: git_oid, _ two: git_oid) throws(GitError) -> git_oid? {
        var base = git_oid()
        var first = one
        var second = two
        let rc = git_merge_base(&base, handle, &first, &second)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try git(rc, "cannot find a merge base of \(ObjectID(one).short) and \(ObjectID(two).short)")
        return base
    }
}
