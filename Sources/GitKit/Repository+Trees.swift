internal import CLibgit2

extension Repository {
    /// The bytes of the file at `path` in `commit`'s tree, or nil when no file is there.
    /// At most `limit` bytes are read: a larger blob throws rather than filling memory.
    public func blob(at path: String, in commit: ObjectID, limit: Int = 64 << 20) throws(GitError) -> (id: ObjectID, bytes: [UInt8])? {
        guard let entryID = try treeEntryID(at: path, in: commit, kind: GIT_OBJECT_BLOB) else { return nil }
        var oid = entryID.raw
        var blob: OpaquePointer?
        try git(git_blob_lookup(&blob, handle, &oid), "cannot read \(path) at \(commit.short)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size <= limit else {
            throw GitError(code: -1, message: "\(path) at \(commit.short) is \(size) bytes; the limit is \(limit)")
        }
        guard size > 0, let content = git_blob_rawcontent(blob) else { return (entryID, []) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: content, count: size))
        return (entryID, bytes)
    }

    /// The id of the tree (or blob) at `path` in `commit`, or nil when nothing is there.
    /// An empty path means the commit's root tree.
    public func objectID(at path: String, in commit: ObjectID) throws(GitError) -> ObjectID? {
        try treeEntryID(at: path, in: commit, kind: nil)
    }

    /// Calls `body` with the root tree of `commitID`, freed when it returns.
    func withTree<R>(of commitID: ObjectID, _ body: (OpaquePointer?) throws(GitError) -> R) throws(GitError) -> R {
        var oid = commitID.raw
        var commit: OpaquePointer?
        try git(git_commit_lookup(&commit, handle, &oid), "cannot read commit \(commitID.short)")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try git(git_commit_tree(&tree, commit), "cannot read the tree of \(commitID.short)")
        defer { git_tree_free(tree) }
        return try body(tree)
    }

    private func treeEntryID(at path: String, in commitID: ObjectID, kind: git_object_t?) throws(GitError) -> ObjectID? {
        try withTree(of: commitID) { tree throws(GitError) in
            let trimmed = Self.withoutExtraSlashes(path)
            if trimmed.isEmpty {
                return kind == nil || kind == GIT_OBJECT_TREE ? ObjectID(git_tree_id(tree).pointee) : nil
            }
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, tree, trimmed)
            if rc == GIT_ENOTFOUND.rawValue { return nil }
            try git(rc, "cannot look up \(trimmed) at \(commitID.short)")
            defer { git_tree_entry_free(entry) }
            if let kind, git_tree_entry_type(entry) != kind { return nil }
            return ObjectID(git_tree_entry_id(entry).pointee)
        }
    }

    /// `path` without leading, trailing or repeated slashes. By hand: `split` and `joined`
    /// cost their first call ~0.2 ms of generic lookups, on the way to every build.
    static func withoutExtraSlashes(_ path: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        var slashPending = false
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                slashPending = !bytes.isEmpty
                continue
            }
            if slashPending { bytes.append(UInt8(ascii: "/")) }
            slashPending = false
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
