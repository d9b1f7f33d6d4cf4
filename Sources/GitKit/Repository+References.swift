internal import CLibgit2

extension Repository {
    /// The local branches (short names) and the commits they point at. A branch whose target is
    /// not a commit, or whose name libgit2 cannot read, is left out.
    public func branches() -> [(name: String, tip: ObjectID)] {
        var iterator: OpaquePointer?
        guard git_branch_iterator_new(&iterator, handle, GIT_BRANCH_LOCAL) == 0 else { return [] }
        defer { git_branch_iterator_free(iterator) }
        var found: [(name: String, tip: ObjectID)] = []
        var reference: OpaquePointer?
        var type = GIT_BRANCH_LOCAL
        while git_branch_next(&reference, &type, iterator) == 0 {
            defer { git_reference_free(reference) }
            guard let name = git_reference_name(reference).map({ String(cString: $0) }),
                  name.hasPrefix(Self.branchPrefix) else { continue }
            var commit: OpaquePointer?
            guard git_reference_peel(&commit, reference, GIT_OBJECT_COMMIT) == 0 else { continue }
            defer { git_object_free(commit) }
            found.append((String(name.dropFirst(Self.branchPrefix.count)), ObjectID(git_object_id(commit).pointee)))
        }
        return found
    }

    /// The full name of the reference `name` stands for, as git expands it (`main` →
    /// `refs/heads/main`, `v1` → `refs/tags/v1`, a tag first when both exist); `HEAD` → the
    /// branch HEAD points at. Nil when `name` names no reference here (a commit id, a typo).
    public func fullReferenceName(_ name: String) -> String? {
        var reference: OpaquePointer?
        guard git_reference_dwim(&reference, handle, name) == 0 else { return nil }
        defer { git_reference_free(reference) }
        if git_reference_type(reference) == GIT_REFERENCE_SYMBOLIC {
            return git_reference_symbolic_target(reference).map { String(cString: $0) }
        }
        return git_reference_name(reference).map { String(cString: $0) }
    }
}

extension Repository {
    /// The tags (short names) and the commits they point at, through annotated tags. A tag of
    /// something other than a commit is left out.
    public func tags() -> [(name: String, commit: ObjectID)] {
        var iterator: OpaquePointer?
        guard git_reference_iterator_glob_new(&iterator, handle, "refs/tags/*") == 0 else { return [] }
        defer { git_reference_iterator_free(iterator) }
        var found: [(name: String, commit: ObjectID)] = []
        var reference: OpaquePointer?
        while git_reference_next(&reference, iterator) == 0 {
            defer { git_reference_free(reference) }
            guard let name = git_reference_name(reference).map({ String(cString: $0) }) else { continue }
            var commit: OpaquePointer?
            guard git_reference_peel(&commit, reference, GIT_OBJECT_COMMIT) == 0 else { continue }
            defer { git_object_free(commit) }
            found.append((String(name.dropFirst("refs/tags/".count)), ObjectID(git_object_id(commit).pointee)))
        }
        return found
    }
}
