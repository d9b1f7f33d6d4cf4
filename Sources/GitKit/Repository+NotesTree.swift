internal import CLibgit2
import Foundation

// The plumbing under Repository+Notes.swift: finding a note at any fan-out, editing a notes tree
// folder by folder, writing notes commits and moving the notes ref with compare-and-swap.

// MARK: - Finding notes

/// Where one note of a commit sits in a notes tree: `ab/cdef…` (2/38), flat (40), `ab/cd/ef…`, ….
struct NoteLocation {
    let path: String
    let blob: git_oid
}

/// How many times a notes ref update is redone when other writers keep moving the ref.
private let maximumReferenceAttempts = 100

extension Repository {
    /// The fan-out path gitci writes a note at: `ab/cdef…`.
    static func notePath(for commit: ObjectID) -> String {
        let hex = commit.hex
        return "\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    /// Every entry holding a note of `commit` in `tree`, shallowest first. git itself only fans
    /// out by two hex digits per level, so each level is tried as the whole remaining name and as
    /// a two-digit folder.
    func noteLocations(of commit: ObjectID, in tree: OpaquePointer) throws(GitError) -> [NoteLocation] {
        var found: [NoteLocation] = []
        try collectNoteLocations(remaining: Substring(commit.hex), folder: "", tree: tree, into: &found)
        return found
    }

    private func collectNoteLocations(remaining: Substring, folder: String, tree: OpaquePointer,
                                      into found: inout [NoteLocation]) throws(GitError) {
        let name = String(remaining)
        if let entry = git_tree_entry_byname(tree, name), git_tree_entry_type(entry) == GIT_OBJECT_BLOB {
            found.append(NoteLocation(path: folder + name, blob: git_tree_entry_id(entry).pointee))
        }
        guard remaining.count > 2 else { return }
        let fan = String(remaining.prefix(2))
        guard let entry = git_tree_entry_byname(tree, fan), git_tree_entry_type(entry) == GIT_OBJECT_TREE else { return }
        var subtree: OpaquePointer?
        try git(git_tree_lookup(&subtree, handle, git_tree_entry_id(entry)), "cannot read notes folder \(folder + fan)")
        defer { git_tree_free(subtree) }
        guard let subtree else { return }
        try collectNoteLocations(remaining: remaining.dropFirst(2), folder: folder + fan + "/", tree: subtree, into: &found)
    }

    /// The text of the notes at `locations`, joined line-wise when a commit has several entries
    /// (only another tool can leave it so; git concatenates them too).
    func noteBytes(at locations: [NoteLocation]) throws(GitError) -> [UInt8] {
        var bytes: [UInt8] = []
        for location in locations {
            if !bytes.isEmpty && bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            bytes += try blobBytes(location.blob)
        }
        return bytes
    }

    func blobBytes(_ id: git_oid) throws(GitError) -> [UInt8] {
        var oid = id
        var blob: OpaquePointer?
        try git(git_blob_lookup(&blob, handle, &oid), "cannot read blob \(ObjectID(id).short)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let content = git_blob_rawcontent(blob) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: content, count: size))
    }

    func writeBlob(_ bytes: [UInt8]) throws(GitError) -> git_oid {
        var oid = git_oid()
        let rc = bytes.withUnsafeBytes { buffer in
            git_blob_create_from_buffer(&oid, handle, buffer.baseAddress, buffer.count)
        }
        try git(rc, "cannot write a note blob")
        return oid
    }

    /// The root tree of `commit`, owned by the caller (free with `git_tree_free`).
    func rootTree(of commit: git_oid) throws(GitError) -> OpaquePointer {
        var oid = commit
        var object: OpaquePointer?
        try git(git_commit_lookup(&object, handle, &oid), "cannot read notes commit \(ObjectID(commit).short)")
        defer { git_commit_free(object) }
        var tree: OpaquePointer?
        try git(git_commit_tree(&tree, object), "cannot read the tree of notes commit \(ObjectID(commit).short)")
        guard let tree else { throw GitError(code: -1, message: "notes commit \(ObjectID(commit).short) has no tree") }
        return tree
    }
}

// MARK: - Editing a tree

/// Edits a tree through one treebuilder per folder touched, then writes those folders bottom-up.
/// Untouched subtrees are kept by id, so a write costs what the touched folders hold, not the
/// whole notes tree. Owns its base tree and its builders.
final class TreeEditor {
    private let repository: OpaquePointer
    /// The tree being edited, as it was; read notes through this while the editor lives.
    let base: OpaquePointer?
    /// Folder path ("" is the root, "ab", "ab/cd") → its builder.
    private var builders: [String: OpaquePointer] = [:]

    /// `base` (may be nil: an empty tree) becomes the editor's; it is freed with the editor.
    init(repository: OpaquePointer, base: OpaquePointer?) {
        self.repository = repository
        self.base = base
    }

    deinit {
        for builder in builders.values { git_treebuilder_free(builder) }
        git_tree_free(base)
    }

    func remove(_ path: String) throws(GitError) {
        let (folder, name) = Self.split(path)
        let builder = try self.builder(for: folder)
        guard git_treebuilder_get(builder, name) != nil else { return }
        try git(git_treebuilder_remove(builder, name), "cannot remove \(path) from the notes tree")
    }

    func insert(_ path: String, blob: git_oid) throws(GitError) {
        let (folder, name) = Self.split(path)
        let builder = try self.builder(for: folder)
        var oid = blob
        try git(git_treebuilder_insert(nil, builder, name, &oid, GIT_FILEMODE_BLOB), "cannot add \(path) to the notes tree")
    }

    /// Writes every touched folder, deepest first; a folder left empty is dropped from its parent.
    func write() throws(GitError) -> git_oid {
        var depth = builders.keys.map(Self.depth).max() ?? 0
        while depth > 0 {
            for folder in builders.keys.filter({ Self.depth($0) == depth }).sorted() {
                guard let builder = builders[folder] else { continue }
                let (parentFolder, name) = Self.split(folder)
                let parent = try self.builder(for: parentFolder)
                if git_treebuilder_entrycount(builder) == 0 {
                    if git_treebuilder_get(parent, name) != nil {
                        try git(git_treebuilder_remove(parent, name), "cannot drop the empty folder \(folder)")
                    }
                } else {
                    var oid = git_oid()
                    try git(git_treebuilder_write(&oid, builder), "cannot write notes folder \(folder)")
                    try git(git_treebuilder_insert(nil, parent, name, &oid, GIT_FILEMODE_TREE),
                            "cannot add notes folder \(folder)")
                }
            }
            depth -= 1
        }
        var oid = git_oid()
        try git(git_treebuilder_write(&oid, try builder(for: "")), "cannot write the notes tree")
        return oid
    }

    private func builder(for folder: String) throws(GitError) -> OpaquePointer {
        if let existing = builders[folder] { return existing }
        var source: OpaquePointer?
        defer { if !folder.isEmpty { git_tree_free(source) } }
        if let base {
            if folder.isEmpty {
                source = base
            } else {
                var entry: OpaquePointer?
                let rc = git_tree_entry_bypath(&entry, base, folder)
                if rc != GIT_ENOTFOUND.rawValue {
                    try git(rc, "cannot look up notes folder \(folder)")
                    defer { git_tree_entry_free(entry) }
                    if git_tree_entry_type(entry) == GIT_OBJECT_TREE {
                        try git(git_tree_lookup(&source, repository, git_tree_entry_id(entry)),
                                "cannot read notes folder \(folder)")
                    }
                }
            }
        }
        var builder: OpaquePointer?
        try git(git_treebuilder_new(&builder, repository, source), "cannot edit notes folder \(folder)")
        guard let builder else { throw GitError(code: -1, message: "cannot edit notes folder \(folder)") }
        builders[folder] = builder
        return builder
    }

    private static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    private static func depth(_ folder: String) -> Int {
        folder.isEmpty ? 0 : folder.utf8.reduce(1) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
    }
}

// MARK: - Notes commits and the notes ref

extension Repository {
    /// Writes a notes commit of `tree` with `parents`, signed by the repository's configured
    /// identity or, without one, "gitci <gitci@localhost>".
    func writeNotesCommit(tree: git_oid, parents: [git_oid], message: String) throws(GitError) -> git_oid {
        var signature: UnsafeMutablePointer<git_signature>?
        if git_signature_default(&signature, handle) < 0 {
            try git(git_signature_now(&signature, "gitci", "gitci@localhost"), "cannot make a signature")
        }
        defer { git_signature_free(signature) }

        var treeOID = tree
        var treeObject: OpaquePointer?
        try git(git_tree_lookup(&treeObject, handle, &treeOID), "cannot read the new notes tree")
        defer { git_tree_free(treeObject) }
        var parentObjects: [OpaquePointer?] = []
        defer { for parent in parentObjects { git_commit_free(parent) } }
        for parent in parents {
            var oid = parent
            var object: OpaquePointer?
            try git(git_commit_lookup(&object, handle, &oid), "cannot read notes commit \(ObjectID(parent).short)")
            parentObjects.append(object)
        }
        var oid = git_oid()
        let rc = parentObjects.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(&oid, handle, nil, signature, signature, nil, message, treeObject,
                              buffer.count, buffer.baseAddress)
        }
        try git(rc, "cannot write a notes commit")
        return oid
    }

    /// The id `ref` holds right now (not peeled), or nil when there is no such ref.
    func rawReferenceTarget(_ ref: String) throws(GitError) -> git_oid? {
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, handle, ref)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try git(rc, "cannot read \(ref)")
        return oid
    }

    /// Moves `ref` from `expected` (nil: the ref must not exist) to `target`, checked under the
    /// ref's lock. False when another writer got there first, so the caller re-reads and redoes.
    func compareAndSwapReference(_ ref: String, to target: git_oid, expected: git_oid?,
                                 message: String) throws(GitError) -> Bool {
        var newOID = target
        // An all-zero expected id means "must not exist yet" (checked under the lock, unlike force=0).
        var oldOID = expected ?? git_oid()
        var reference: OpaquePointer?
        let rc = git_reference_create_matching(&reference, handle, ref, &newOID, 1, &oldOID, message)
        if rc == 0 {
            git_reference_free(reference)
            return true
        }
        if rc == GIT_EMODIFIED.rawValue || rc == GIT_ELOCKED.rawValue || rc == GIT_EEXISTS.rawValue
            || rc == GIT_ENOTFOUND.rawValue {
            return false
        }
        try git(rc, "cannot update \(ref)")
        return false
    }

    /// Reads the tip of `ref`, lets `build` make the next commit from it (nil: nothing to do) and
    /// moves the ref there with compare-and-swap, redoing everything from the new tip while other
    /// writers win the race. Returns the ref's final target.
    func updateNotesReference(_ ref: String, message: String,
                              _ build: (_ tip: git_oid?) throws(GitError) -> git_oid?) throws(GitError) -> ObjectID {
        for attempt in 0..<maximumReferenceAttempts {
            let tip = try rawReferenceTarget(ref)
            guard let next = try build(tip) else {
                guard let tip else { throw GitError(code: -1, message: "nothing to write to \(ref)") }
                return ObjectID(tip)
            }
            if try compareAndSwapReference(ref, to: next, expected: tip, message: message) {
                return ObjectID(next)
            }
            // Small randomized backoff so that racing writers do not collide again in lock-step.
            usleep(UInt32.random(in: 100...(500 + 500 * UInt32(min(attempt, 20)))))
        }
        throw GitError(code: GIT_EMODIFIED.rawValue,
                       message: "cannot update \(ref): other writers kept moving it (\(maximumReferenceAttempts) attempts)")
    }
}
