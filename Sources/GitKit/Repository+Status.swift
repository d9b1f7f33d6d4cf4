internal import CLibgit2

extension Repository {
    /// The files of the working tree that `git status` would consider: tracked files that still
    /// exist plus untracked files that are not ignored. Paths are relative, with `/`.
    ///
    /// This is what a working-tree run copies into a job's workspace: what would be committed,
    /// as it is now, without build output or other ignored clutter.
    public func workingTreeFiles() throws(GitError) -> [String] {
        var files = Set<String>()
        var index: OpaquePointer?
        try git(git_repository_index(&index, handle), "cannot read the index")
        defer { git_index_free(index) }
        let count = git_index_entrycount(index)
        for position in 0..<count {
            guard let entry = git_index_get_byindex(index, position), let path = entry.pointee.path else { continue }
            // Gitlinks (submodules) have no content here to copy.
            if entry.pointee.mode == 0o160000 { continue }
            files.insert(String(cString: path))
        }

        try forEachStatus(GIT_STATUS_SHOW_WORKDIR_ONLY, recursingUntracked: true) { entry in
            let status = entry.status.rawValue
            let delta = entry.index_to_workdir
            if status & GIT_STATUS_WT_DELETED.rawValue != 0, let path = delta?.pointee.old_file.path {
                files.remove(String(cString: path))
            }
            if status & GIT_STATUS_WT_NEW.rawValue != 0, let path = delta?.pointee.new_file.path {
                files.insert(String(cString: path))
            }
        }
        return files.sorted()
    }

    /// Calls `body` with each entry of `git status` as `show` asks for it, untracked files that
    /// are not ignored included, submodules left out.
    func forEachStatus(_ show: git_status_show_t, recursingUntracked: Bool,
                       _ body: (git_status_entry) -> Void) throws(GitError) {
        var options = git_status_options()
        try git(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)))
        options.show = show
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
            | (recursingUntracked ? GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue : 0)
        var list: OpaquePointer?
        try git(git_status_list_new(&list, handle, &options), "cannot read the working tree status")
        defer { git_status_list_free(list) }
        for position in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, position) else { continue }
            body(entry.pointee)
        }
    }
}

extension Repository {
    /// Whether the working tree and index match HEAD, counting untracked files that are not
    /// ignored as changes (a working-tree run would include them).
    public func hasUncommittedChanges() throws(GitError) -> Bool {
        var changed = false
        try forEachStatus(GIT_STATUS_SHOW_INDEX_AND_WORKDIR, recursingUntracked: false) { _ in changed = true }
        return changed
    }
}
