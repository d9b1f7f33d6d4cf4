internal import CLibgit2
import Foundation

extension Repository {
    /// Makes `directory` (missing, or an empty folder) a git working tree of `commitID`: its
    /// own `.git` whose `objects/info/alternates` names this repository's object folder (read,
    /// never copied or written), `HEAD` on `branch` at the commit (detached when `branch` is
    /// nil), this repository's tags, and an index matching the tree, so that `git status` is
    /// clean. What a build later writes there (commits, tags, refs) stays in that `.git`.
    ///
    /// Returns the new repository (the caller reads `.gitmodules` through it).
    @discardableResult
    public func makeWorkspace(of commitID: ObjectID, in directory: String, branch: String?) throws(GitError) -> Repository {
        let target = Self.absolute(directory)
        let commonDirectory = self.commonDirectory
        // The tags and the branch are read before anything is written: a failure leaves no
        // half-made workspace behind that would look usable.
        var refs = try tagTargets()
        if let branch {
            guard git_reference_is_valid_name("refs/heads/" + branch) == 1 else {
                throw GitError(code: GIT_EINVALIDSPEC.rawValue, message: "'\(branch)' is not a valid branch name")
            }
            refs.append(("refs/heads/" + branch, commitID))
        }

        let workspace = try Self.initializeWorkspace(at: target, branch: branch, objects: commonDirectory + "/objects")
        try workspace.checkOutIntoWorkingTree(commitID)
        // After the checkout: with HEAD unborn the checkout compares with an empty tree, so it
        // writes every file (with HEAD at the commit already, it would write none).
        try Self.writePackedRefs(refs, in: workspace.gitDirectory)
        if branch == nil {
            var oid = commitID.raw
            try git(git_repository_set_head_detached(workspace.handle, &oid), "cannot set HEAD of \(target)")
        }
        return workspace
    }

    /// `git init` of a working tree at `path`, borrowing objects from `objects`. The alternates
    /// file is written before the repository is opened, so that its object database sees it.
    private static func initializeWorkspace(at path: String, branch: String?, objects: String) throws(GitError) -> Repository {
        _ = Libgit2.initialized
        var options = git_repository_init_options()
        try git(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)))
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        var created: OpaquePointer?
        let rc = (branch ?? "main").withCString { head in
            options.initial_head = head
            return git_repository_init_ext(&created, path, &options)
        }
        try git(rc, "cannot make a git repository in \(path)")
        git_repository_free(created)

        let info = path + "/.git/objects/info"
        // Only git's own spelling: alternates lines are paths, one a line, and a path with a
        // newline would name another folder.
        guard !objects.contains("\n") else {
            throw GitError(code: GIT_EINVALID.rawValue, message: "cannot borrow objects from a path with a newline: \(objects)")
        }
        try writeFile(info + "/alternates", Array((objects + "\n").utf8), creatingFolder: info)
        return try open(path)
    }

    /// Writes the tree of `commitID` into this repository's working tree and its index.
    private func checkOutIntoWorkingTree(_ commitID: ObjectID) throws(GitError) {
        var oid = commitID.raw
        var commit: OpaquePointer?
        try git(git_commit_lookup(&commit, handle, &oid), "cannot read commit \(commitID.short)")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try git(git_commit_tree(&tree, commit), "cannot read the tree of \(commitID.short)")
        defer { git_tree_free(tree) }
        var options = git_checkout_options()
        try git(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
        try git(git_checkout_tree(handle, tree, &options), "cannot check out \(commitID.short) into \(workingDirectory ?? gitDirectory)")
    }

    /// Every `refs/tags/*` with the object it points at (a tag object for an annotated tag).
    private func tagTargets() throws(GitError) -> [(name: String, target: ObjectID)] {
        var iterator: OpaquePointer?
        try git(git_reference_iterator_glob_new(&iterator, handle, "refs/tags/*"), "cannot list the tags")
        defer { git_reference_iterator_free(iterator) }
        var tags: [(name: String, target: ObjectID)] = []
        var reference: OpaquePointer?
        while true {
            let rc = git_reference_next(&reference, iterator)
            if rc == GIT_ITEROVER.rawValue { break }
            try git(rc, "cannot list the tags")
            defer { git_reference_free(reference) }
            var resolved: OpaquePointer?
            // A symbolic tag is rare; it is kept as what it points at.
            guard git_reference_resolve(&resolved, reference) == 0 else { continue }
            defer { git_reference_free(resolved) }
            guard let oid = git_reference_target(resolved), let name = git_reference_name(reference) else { continue }
            tags.append((String(cString: name), ObjectID(oid.pointee)))
        }
        return tags
    }

    /// One `packed-refs` file rather than a file per ref: a repository may have thousands of
    /// tags. No `peeled` trait is declared, so git peels annotated tags itself when it needs to.
    private static func writePackedRefs(_ refs: [(name: String, target: ObjectID)], in gitDirectory: String) throws(GitError) {
        var text = "# pack-refs with: sorted \n"
        var seen = Set<String>()
        for ref in refs.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) })
        where seen.insert(ref.name).inserted {
            text += ref.target.hex + " " + ref.name + "\n"
        }
        try writeFile(gitDirectory + "/packed-refs", Array(text.utf8), creatingFolder: nil)
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8], creatingFolder folder: String?) throws(GitError) {
        if let folder { mkdir(folder, 0o777) }
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw GitError(code: GIT_ERROR.rawValue, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw GitError(code: GIT_ERROR.rawValue, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
