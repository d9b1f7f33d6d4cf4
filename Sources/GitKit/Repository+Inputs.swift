internal import CLibgit2

/// What a selective walk of a tree does with one entry (Repository.selectedEntries).
public enum TreeWalkVerdict: Sendable, Equatable {
    /// Selected whole: its id stands for everything in it, nothing inside is read.
    case take
    case skip
    /// Look at its entries (a folder only).
    case descend
}

/// One entry a selective walk selected: `id` nil when nothing was at a start path.
public struct SelectedEntry: Sendable, Hashable {
    public let path: String
    public let id: ObjectID?
    public let isTree: Bool
}

extension Repository {
    // MARK: - Inputs: what part of a tree a job reads

    /// The entries of `commit`'s tree that `verdict` selects, reading only what it must: each
    /// path of `starts` is looked up straight from the root (no walk to find it), a selected
    /// folder is taken by its tree id, and only the folders `verdict` asks to open are listed.
    /// A start path with nothing there comes back with a nil id, so that its appearing later
    /// makes a difference. Sorted by path; an entry inside another selected one is left out.
    public func selectedEntries(of commit: ObjectID, starts: [String],
                                verdict: (_ path: String, _ isTree: Bool) -> TreeWalkVerdict) throws(GitError) -> [SelectedEntry] {
        try withTree(of: commit) { root throws(GitError) in
            guard let root else { return [] }
            var found: [SelectedEntry] = []
            for start in starts {
                let path = Self.withoutExtraSlashes(start)
                if path.isEmpty {
                    try visit(tree: root, id: ObjectID(git_tree_id(root).pointee), path: "", verdict: verdict, into: &found)
                    continue
                }
                var entry: OpaquePointer?
                let rc = git_tree_entry_bypath(&entry, root, path)
                if rc == GIT_ENOTFOUND.rawValue {
                    found.append(SelectedEntry(path: path, id: nil, isTree: false))
                    continue
                }
                try git(rc, "cannot look up \(path) at \(commit.short)")
                defer { git_tree_entry_free(entry) }
                try visit(entry: entry!, path: path, verdict: verdict, into: &found)
            }
            return Self.outermost(found)
        }
    }

    private func visit(entry: OpaquePointer, path: String, verdict: (String, Bool) -> TreeWalkVerdict,
                       into found: inout [SelectedEntry]) throws(GitError) {
        let id = ObjectID(git_tree_entry_id(entry).pointee)
        let isTree = git_tree_entry_type(entry) == GIT_OBJECT_TREE
        switch verdict(path, isTree) {
        case .skip: return
        case .take: found.append(SelectedEntry(path: path, id: id, isTree: isTree))
        case .descend:
            guard isTree else {
                found.append(SelectedEntry(path: path, id: id, isTree: false))
                return
            }
            var tree: OpaquePointer?
            try git(git_tree_lookup(&tree, handle, git_tree_entry_id(entry)), "cannot read the folder \(path)")
            defer { git_tree_free(tree) }
            try children(of: tree!, path: path, verdict: verdict, into: &found)
        }
    }

    private func visit(tree: OpaquePointer, id: ObjectID, path: String, verdict: (String, Bool) -> TreeWalkVerdict,
                       into found: inout [SelectedEntry]) throws(GitError) {
        switch verdict(path, true) {
        case .skip: return
        case .take: found.append(SelectedEntry(path: path, id: id, isTree: true))
        case .descend: try children(of: tree, path: path, verdict: verdict, into: &found)
        }
    }

    private func children(of tree: OpaquePointer, path: String, verdict: (String, Bool) -> TreeWalkVerdict,
                          into found: inout [SelectedEntry]) throws(GitError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry) else { continue }
            let child = path.isEmpty ? String(cString: name) : path + "/" + String(cString: name)
            try visit(entry: entry, path: child, verdict: verdict, into: &found)
        }
    }

    /// Sorted by path, without duplicates or entries inside a selected folder.
    static func outermost(_ entries: [SelectedEntry]) -> [SelectedEntry] {
        let sorted = entries.sorted { $0.path < $1.path }
        let folders = Set(sorted.filter { $0.isTree && $0.id != nil }.map(\.path))
        var kept: [SelectedEntry] = []
        var seen = Set<String>()
        for entry in sorted where seen.insert(entry.path).inserted {
            if folders.contains("") && !entry.path.isEmpty { continue }
            var inside = false
            var folder = Substring(entry.path)
            while let slash = folder.lastIndex(of: "/") {
                folder = folder[..<slash]
                if folders.contains(String(folder)) {
                    inside = true
                    break
                }
            }
            if !inside { kept.append(entry) }
        }
        return kept
    }

    // MARK: - What changed between two commits

    /// The paths of the files that differ between the trees of `base` and `commit` (added,
    /// removed, changed, or changed mode), compared through the object database: no checkout.
    /// A renamed file counts at both its paths.
    public func changedPaths(from base: ObjectID, to commit: ObjectID) throws(GitError) -> [String] {
        try withTree(of: base) { old throws(GitError) in
            try withTree(of: commit) { new throws(GitError) in
                var options = git_diff_options()
                try git(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)))
                options.flags = GIT_DIFF_SKIP_BINARY_CHECK.rawValue
                var diff: OpaquePointer?
                try git(git_diff_tree_to_tree(&diff, handle, old, new, &options),
                        "cannot compare \(base.short) and \(commit.short)")
                defer { git_diff_free(diff) }
                var paths: [String] = []
                for index in 0..<git_diff_num_deltas(diff) {
                    guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
                    let old = delta.old_file.path.map { String(cString: $0) }
                    let new = delta.new_file.path.map { String(cString: $0) }
                    if let old { paths.append(old) }
                    if let new, new != old { paths.append(new) }
                }
                return paths
            }
        }
    }

    /// The files of the working tree that differ from HEAD, staged or not, untracked ones
    /// included (ignored ones not): what a run of the working tree sees that HEAD does not have.
    public func uncommittedPaths() throws(GitError) -> [String] {
        var paths = Set<String>()
        try forEachStatus(GIT_STATUS_SHOW_INDEX_AND_WORKDIR, recursingUntracked: true) { entry in
            for delta in [entry.head_to_index, entry.index_to_workdir] {
                guard let delta = delta?.pointee else { continue }
                if let path = delta.old_file.path { paths.insert(String(cString: path)) }
                if let path = delta.new_file.path { paths.insert(String(cString: path)) }
            }
        }
        return paths.sorted()
    }

    // MARK: - Bases to compare with

    /// The best common ancestor of two commits, or nil when their histories are unrelated.
    public func mergeBase(of one: ObjectID, and two: ObjectID) throws(GitError) -> ObjectID? {
        try mergeBase(one.raw, two.raw).map(ObjectID.init)
    }

    /// The branch a repository's work goes into, and its tip: what `origin/HEAD` names in a
    /// clone, else in a bare repository (a server's) the branch HEAD names, else `main` or
    /// `master` (local, then origin's). Nil when there is none of those.
    public var defaultBranch: (name: String, tip: ObjectID)? {
        if let target = symbolicTarget("refs/remotes/origin/HEAD"), let tip = referenceTarget(target) {
            return (String(target.dropFirst("refs/remotes/".count)), tip)
        }
        if isBare, let target = symbolicTarget("HEAD"), target.hasPrefix(Self.branchPrefix), let tip = referenceTarget(target) {
            return (String(target.dropFirst(Self.branchPrefix.count)), tip)
        }
        for name in ["main", "master"] {
            if let tip = branchTip(name) { return (name, tip) }
        }
        for name in ["origin/main", "origin/master"] {
            if let tip = referenceTarget("refs/remotes/" + name) { return (name, tip) }
        }
        return nil
    }

    /// The full name a symbolic reference points to, or nil.
    private func symbolicTarget(_ name: String) -> String? {
        var reference: OpaquePointer?
        guard git_reference_lookup(&reference, handle, name) == 0 else { return nil }
        defer { git_reference_free(reference) }
        guard git_reference_type(reference) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(reference) else { return nil }
        return String(cString: target)
    }
}
