internal import CLibgit2

/// One text to add at the end of a commit's note.
public struct NoteAppend: Sendable, Hashable {
    public let commit: ObjectID
    public let text: String

    public init(commit: ObjectID, text: String) {
        self.commit = commit
        self.text = text
    }
}

/// A commit that has a note, and the blob holding the note.
public struct NoteEntry: Sendable, Hashable {
    public let commit: ObjectID
    public let blob: ObjectID

    public init(commit: ObjectID, blob: ObjectID) {
        self.commit = commit
        self.blob = blob
    }
}

/// How a commit's note differs between two notes commits.
public enum NoteChange: Sendable, Hashable {
    /// Added, or its text changed; `blob` is the new text.
    case changed(commit: ObjectID, blob: ObjectID)
    case removed(commit: ObjectID)
}

// MARK: - Writing

extension Repository {
    /// Appends each text to the note of its commit, all in one new notes commit on `ref`, and
    /// returns that commit.
    ///
    /// A missing note is created; a text gets a trailing newline if it lacks one; several appends
    /// to one commit are all kept, in order. Notes are written at `ab/cdef…`; a note found at
    /// another layout (flat, `ab/cd/ef…`) is read, appended to and moved, so a commit keeps one
    /// note. The ref moves by compare-and-swap: when another writer moved it meanwhile, the
    /// append is redone on top of theirs, so concurrent writers (threads or processes) lose nothing.
    public func appendNotes(_ appends: [NoteAppend], ref: String, message: String) throws(GitError) -> ObjectID {
        // Group by commit, keeping the order of first appearance and of the texts.
        var order: [ObjectID] = []
        var texts: [ObjectID: [UInt8]] = [:]
        for append in appends {
            if texts[append.commit] == nil { order.append(append.commit) }
            var bytes = Array(append.text.utf8)
            if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            texts[append.commit, default: []] += bytes
        }

        do {
            return try writeAppends(order, texts: texts, ref: ref, message: message)
        } catch {
            // libgit2 says only that a type does not match: say which ref, and what it holds.
            if let problem = notesReferenceProblem(ref) { throw GitError(code: error.code, message: problem) }
            throw error
        }
    }

    /// What is wrong with `ref` as a notes ref (it points at a blob, a tree, a tag, or at
    /// nothing the repository holds), or nil when it is missing or points at a commit.
    public func notesReferenceProblem(_ ref: String) -> String? {
        guard let tip = try? rawReferenceTarget(ref) else { return nil }
        var oid = tip
        var object: OpaquePointer?
        guard git_object_lookup(&object, handle, &oid, GIT_OBJECT_ANY) == 0 else {
            return "\(ref) points at \(ObjectID(tip).hex), which is not in the repository, not at a notes commit"
        }
        defer { git_object_free(object) }
        let type = git_object_type(object)
        guard type != GIT_OBJECT_COMMIT else { return nil }
        let name = git_object_type2string(type).map { String(cString: $0) } ?? "object"
        return "\(ref) points at a \(name) (\(ObjectID(tip).hex)), not at a notes commit"
    }

    private func writeAppends(_ order: [ObjectID], texts: [ObjectID: [UInt8]], ref: String,
                              message: String) throws(GitError) -> ObjectID {
        try updateNotesReference(ref, message: message) { (tip: git_oid?) throws(GitError) -> git_oid? in
            let editor = TreeEditor(repository: handle,
                                    base: try tip.map { (tip: git_oid) throws(GitError) in try rootTree(of: tip) })
            for commit in order {
                var bytes: [UInt8] = []
                if let base = editor.base {
                    let locations = try noteLocations(of: commit, in: base)
                    bytes = try noteBytes(at: locations)
                    for location in locations { try editor.remove(location.path) }
                }
                if !bytes.isEmpty && bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
                bytes += texts[commit] ?? []
                try editor.insert(Self.notePath(for: commit), blob: try writeBlob(bytes))
            }
            var tree = try editor.write()
            if let base = editor.base, git_oid_equal(git_tree_id(base), &tree) == 1 { return nil }
            return try writeNotesCommit(tree: tree, parents: tip.map { [$0] } ?? [], message: message)
        }
    }
}

// MARK: - Reading

extension Repository {
    /// The note of `commit` under `ref` (at any layout), or nil when it has none or `ref` does
    /// not exist.
    public func note(for commit: ObjectID, ref: String) throws(GitError) -> String? {
        guard let tip = try rawReferenceTarget(ref) else { return nil }
        let tree = try rootTree(of: tip)
        defer { git_tree_free(tree) }
        let locations = try noteLocations(of: commit, in: tree)
        guard !locations.isEmpty else { return nil }
        return String(decoding: try noteBytes(at: locations), as: UTF8.self)
    }

    /// Every annotated commit with its note blob in notes commit `notesCommit`, sorted by commit.
    ///
    /// Any layout is read: an entry is a note when the names along its path make 40 hex digits;
    /// other entries are ignored. When a commit has entries at several layouts (only other tools
    /// leave that), the shallowest one is reported.
    public func notes(at notesCommit: ObjectID) throws(GitError) -> [NoteEntry] {
        let tree = try rootTree(of: notesCommit.raw)
        defer { git_tree_free(tree) }
        var found: [ObjectID: (depth: Int, blob: ObjectID)] = [:]
        try collectNotes(in: tree, prefix: "", depth: 0, into: &found)
        return found.map { NoteEntry(commit: $0.key, blob: $0.value.blob) }.sorted { $0.commit < $1.commit }
    }

    private func collectNotes(in tree: OpaquePointer, prefix: String, depth: Int,
                              into found: inout [ObjectID: (depth: Int, blob: ObjectID)]) throws(GitError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let cName = git_tree_entry_name(entry) else { continue }
            let name = String(cString: cName)
            guard !name.isEmpty, name.utf8.allSatisfy(\.isHexDigit) else { continue }
            let path = prefix + name
            let length = path.utf8.count
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_BLOB where length == 40:
                guard let commit = ObjectID(hex: path) else { continue }
                if let existing = found[commit], existing.depth <= depth { continue }
                found[commit] = (depth, ObjectID(git_tree_entry_id(entry).pointee))
            case GIT_OBJECT_TREE where length < 40:
                var subtree: OpaquePointer?
                try git(git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)), "cannot read notes folder \(path)")
                defer { git_tree_free(subtree) }
                if let subtree { try collectNotes(in: subtree, prefix: path, depth: depth + 1, into: &found) }
            default:
                continue
            }
        }
    }

    /// What differs between notes commits `old` (nil: none, so every note of `new` is reported)
    /// and `new`, sorted by commit: notes added or whose text changed, and notes removed. A note
    /// that only moved between layouts, keeping its blob, is not reported.
    ///
    /// Built on a tree diff, which skips identical folders: cheap when few of many notes changed.
    public func changedNotes(from old: ObjectID?, to new: ObjectID) throws(GitError) -> [NoteChange] {
        // Against nothing, every note is new: walking the tree costs less than diffing it.
        guard let old else { return try notes(at: new).map { .changed(commit: $0.commit, blob: $0.blob) } }
        let oldTree = try rootTree(of: old.raw)
        defer { git_tree_free(oldTree) }
        let newTree = try rootTree(of: new.raw)
        defer { git_tree_free(newTree) }

        // libgit2's tree diff visits every entry of both trees, even inside identical folders.
        // So the top level (256 folders with the fan-out) is compared here first, and the diff
        // is limited to the entries there that differ: a few folders when few notes changed.
        let differing = Self.differingEntryNames(oldTree, newTree)
        if differing.isEmpty { return [] }
        var options = git_diff_options()
        try git(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)))
        options.flags = GIT_DIFF_SKIP_BINARY_CHECK.rawValue | GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
        var diff: OpaquePointer?
        let rc = withStringArray(differing) { pathspec in
            options.pathspec = pathspec
            return git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options)
        }
        try git(rc, "cannot compare notes \(old.short) and \(new.short)")
        defer { git_diff_free(diff) }

        var added: [ObjectID: ObjectID] = [:]
        var removed: [ObjectID: ObjectID] = [:]
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
            let status = delta.status
            if status == GIT_DELTA_DELETED || status == GIT_DELTA_MODIFIED || status == GIT_DELTA_TYPECHANGE,
               let commit = Self.annotatedCommit(path: delta.old_file.path), delta.old_file.mode == GIT_FILEMODE_BLOB.rawValue
                || delta.old_file.mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue {
                removed[commit] = ObjectID(delta.old_file.id)
            }
            if status == GIT_DELTA_ADDED || status == GIT_DELTA_MODIFIED || status == GIT_DELTA_TYPECHANGE,
               let commit = Self.annotatedCommit(path: delta.new_file.path), delta.new_file.mode == GIT_FILEMODE_BLOB.rawValue
                || delta.new_file.mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue {
                added[commit] = ObjectID(delta.new_file.id)
            }
        }

        var changes: [NoteChange] = []
        for (commit, blob) in added where removed[commit] != blob {
            changes.append(.changed(commit: commit, blob: blob))
        }
        for (commit, _) in removed where added[commit] == nil {
            // The entry went away, but another layout may still hold a note of this commit.
            let remaining = try noteLocations(of: commit, in: newTree)
            if let first = remaining.first {
                changes.append(.changed(commit: commit, blob: ObjectID(first.blob)))
            } else {
                changes.append(.removed(commit: commit))
            }
        }
        return changes.sorted { $0.commit < $1.commit }
    }

    /// The names of the top-level entries that differ between two trees (missing on one side,
    /// or another id or mode).
    private static func differingEntryNames(_ old: OpaquePointer?, _ new: OpaquePointer) -> [String] {
        func entries(_ tree: OpaquePointer?) -> [String: (git_oid, UInt32)] {
            guard let tree else { return [:] }
            var result: [String: (git_oid, UInt32)] = [:]
            for index in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry) else { continue }
                result[String(cString: name)] = (git_tree_entry_id(entry).pointee, git_tree_entry_filemode(entry).rawValue)
            }
            return result
        }
        var oldEntries = entries(old)
        var names: [String] = []
        for (name, (id, mode)) in entries(new) {
            if let (oldID, oldMode) = oldEntries.removeValue(forKey: name), oldMode == mode,
               withUnsafePointer(to: oldID, { a in withUnsafePointer(to: id) { b in git_oid_equal(a, b) == 1 } }) {
                continue
            }
            names.append(name)
        }
        return (names + oldEntries.keys).sorted()
    }

    /// The commit a notes-tree path names when its components make 40 hex digits.
    private static func annotatedCommit(path: UnsafePointer<CChar>?) -> ObjectID? {
        guard let path else { return nil }
        let hex = String(cString: path).replacingOccurrences(of: "/", with: "")
        return ObjectID(hex: hex)
    }

    /// A blob's bytes as text; invalid UTF-8 becomes U+FFFD.
    public func blobText(_ id: ObjectID) throws(GitError) -> String {
        String(decoding: try blobBytes(id.raw), as: UTF8.self)
    }

    /// A blob's bytes, as stored.
    public func blobBytes(_ id: ObjectID) throws(GitError) -> [UInt8] {
        try blobBytes(id.raw)
    }
}

extension NoteChange {
    var commit: ObjectID {
        switch self {
        case .changed(let commit, _), .removed(let commit): commit
        }
    }
}

// MARK: - Benchmark only

extension Repository {
    /// Writes a note the way libgit2's own `git_note_create` does (flat tree, ref moved without
    /// compare-and-swap). Only `gitci-bench-notes` calls this, to compare against `appendNotes`;
    /// gitci itself must never use it.
    package func benchmarkOnlyCreateNoteWithLibgit2(commit: ObjectID, text: String, ref: String) throws(GitError) {
        var signature: UnsafeMutablePointer<git_signature>?
        try git(git_signature_now(&signature, "gitci", "gitci@localhost"))
        defer { git_signature_free(signature) }
        var target = commit.raw
        var out = git_oid()
        try git(git_note_create(&out, handle, ref, signature, signature, &target, text, 1),
                "git_note_create on \(commit.short)")
    }
}
