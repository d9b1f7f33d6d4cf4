internal import CLibgit2

extension Repository {
    /// Merges notes commit `other` into `ref` the way `git notes merge -s cat_sort_uniq` does,
    /// and returns the commit `ref` ends at.
    ///
    /// - `ref` missing: it is created at `other`.
    /// - `other` already in `ref`'s history: nothing changes.
    /// - `ref`'s tip in `other`'s history: fast-forward.
    /// - Otherwise a merge commit (parents: tip, `other`). Against the merge base (none for two
    ///   unrelated notes histories), a note changed on one side only takes that side; a note
    ///   changed on both sides becomes the union of both notes' lines, sorted bytewise, empty and
    ///   duplicate lines dropped. A note removed on one side and unchanged on the other is removed.
    ///
    /// The ref moves by compare-and-swap and the merge is redone if another writer moved it.
    public func mergeNotes(into ref: String, from other: ObjectID, message: String) throws(GitError) -> ObjectID {
        let otherOID = other.raw
        return try updateNotesReference(ref, message: message) { (tip: git_oid?) throws(GitError) -> git_oid? in
            guard let tip else { return otherOID }
            if git_oid_equal([tip], [otherOID]) == 1 { return nil }
            if try isAncestor(otherOID, of: tip) { return nil }
            if try isAncestor(tip, of: otherOID) { return otherOID }
            return try writeNotesMerge(local: tip, remote: otherOID, message: message)
        }
    }

    private func writeNotesMerge(local: git_oid, remote: git_oid, message: String) throws(GitError) -> git_oid {
        let base = try mergeBase(local, remote)
        let baseTree = try base.map { (base: git_oid) throws(GitError) in try rootTree(of: base) }
        defer { git_tree_free(baseTree) }
        let editor = TreeEditor(repository: handle, base: try rootTree(of: local))
        guard let localTree = editor.base else { throw GitError(code: -1, message: "notes commit without a tree") }

        for change in try changedNotes(from: base.map(ObjectID.init), to: ObjectID(remote)) {
            let commit = change.commit
            let localLocations = try noteLocations(of: commit, in: localTree)
            let localNote = try noteValue(at: localLocations)
            let baseNote = try baseTree.map { (tree: OpaquePointer) throws(GitError) in
                try noteValue(at: try noteLocations(of: commit, in: tree))
            } ?? nil

            let result: git_oid?
            switch change {
            case .changed(_, let remoteBlob):
                let remoteNote = NoteValue(id: remoteBlob, bytes: nil)
                if localNote == nil || localNote?.id == baseNote?.id {
                    result = remoteBlob.raw                       // changed on the remote side only
                } else if localNote?.id == remoteBlob {
                    continue                                      // both made the same change
                } else {
                    result = try writeBlob(catSortUniq(try localNote?.content(in: self), try remoteNote.content(in: self)))
                }
            case .removed:
                guard let localNote else { continue }             // removed on both sides
                if localNote.id == baseNote?.id {
                    result = nil                                  // removed remotely, untouched here
                } else {
                    result = try writeBlob(catSortUniq(try localNote.content(in: self), nil))
                }
            }
            for location in localLocations { try editor.remove(location.path) }
            if let result { try editor.insert(Self.notePath(for: commit), blob: result) }
        }
        return try writeNotesCommit(tree: try editor.write(), parents: [local, remote], message: message)
    }

    /// One commit's note as found in a tree: its blob id (hashed from the joined text when the
    /// commit has entries at several layouts) and, when already read, its bytes.
    private func noteValue(at locations: [NoteLocation]) throws(GitError) -> NoteValue? {
        switch locations.count {
        case 0: return nil
        case 1: return NoteValue(id: ObjectID(locations[0].blob), bytes: nil)
        default:
            let bytes = try noteBytes(at: locations)
            return NoteValue(id: ObjectID.blobID(of: bytes), bytes: bytes)
        }
    }
}

private struct NoteValue {
    let id: ObjectID
    let bytes: [UInt8]?

    func content(in repository: Repository) throws(GitError) -> [UInt8] {
        if let bytes { return bytes }
        return try repository.blobBytes(id.raw)
    }
}

/// git's `combine_notes_cat_sort_uniq`: the lines of both notes, empty ones dropped, sorted by
/// bytes, duplicates removed, each ended by a newline.
func catSortUniq(_ one: [UInt8]?, _ two: [UInt8]?) -> [UInt8] {
    var lines = Set<[UInt8]>()
    for note in [one, two] {
        guard let note else { continue }
        for line in note.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            lines.insert(Array(line))
        }
    }
    var result: [UInt8] = []
    for line in lines.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
        result += line
        result.append(UInt8(ascii: "\n"))
    }
    return result
}
