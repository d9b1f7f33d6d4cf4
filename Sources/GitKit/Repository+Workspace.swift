internal import CLibgit2
import Foundation

extension Repository {
    /// Makes `directory` (missing, or an empty folder) a git working tree of `commitID`: its
    /// own `.git` whose `objects/info/alternates` names this repository's object folder (read,
    /// never copied or written), `HEAD` on `branch` at the commit (detached when `branch` is
    /// nil or no valid branch name), this repository's tags, and an index matching the tree, so
    /// that `git status` is clean. What a build later writes there (commits, tags, refs) stays
    /// in that `.git`.
    ///
    /// With `checkOut` false the files are the caller's (a copy of a working tree with changes
    /// not committed): only the `.git` is made, its index holding the commit's tree, so that
    /// `git status` and `git diff` show those changes against the commit.
    ///
    /// Returns the new repository (the caller reads `.gitmodules` through it).
    @discardableResult
    public func makeWorkspace(of commitID: ObjectID, in directory: String, branch: String?,
                              checkOut: Bool = true) throws(GitError) -> Repository {
        let target = Self.absolute(directory)
        let commonDirectory = self.commonDirectory
        // The tags and the branch are read before anything is written: a failure leaves no
        // half-made workspace behind that would look usable.
        var refs = try tagTargets()
        // A name git could not have pushed (`gitci run --branch` takes any label) leaves HEAD
        // detached rather than failing the job.
        let branch = branch.flatMap { git_reference_is_valid_name("refs/heads/" + $0) == 1 ? $0 : nil }
        if let branch { refs.append(("refs/heads/" + branch, commitID)) }

        let workspace = try Self.initializeWorkspace(at: target, branch: branch, objects: commonDirectory + "/objects")
        if checkOut {
            try workspace.checkOutIntoWorkingTree(commitID)
        } else {
            try workspace.readIntoIndex(commitID)
        }
        // After the checkout: with HEAD unborn the checkout compares with an empty tree, so it
        // writes every file (with HEAD at the commit already, it would write none).
        try Self.writePackedRefs(refs, in: workspace.gitDirectory)
        if branch == nil {
            // Written as git does, without the reflog libgit2 would start for it.
            try Self.writeFile(workspace.gitDirectory + "/HEAD", Array((commitID.hex + "\n").utf8))
        }
        return workspace
    }

    /// `git init` of a working tree at `path`, borrowing objects from `objects`: only what git
    /// needs to recognise and use the repository (no description, sample hooks or empty ref
    /// folders), because every file is an inode made on the way to each job's first step. The
    /// alternates file is there before the repository is opened, so its object database sees it.
    private static func initializeWorkspace(at path: String, branch: String?, objects: String) throws(GitError) -> Repository {
        _ = Libgit2.initialized
        // Alternates lines are paths, one a line: a path with a newline would name another folder.
        guard !objects.contains("\n") else {
            throw GitError(code: GIT_EINVALID.rawValue, message: "cannot borrow objects from a path with a newline: \(objects)")
        }
        let dotGit = path + "/.git"
        if mkdir(path, 0o777) != 0, errno == ENOENT {
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        for folder in [path, dotGit, dotGit + "/objects", dotGit + "/objects/info", dotGit + "/refs"] {
            guard mkdir(folder, 0o777) == 0 || (errno == EEXIST && folder == path) else {
                throw GitError(code: GIT_ERROR.rawValue, message: "cannot make \(folder): \(String(cString: strerror(errno)))")
            }
        }
        // Unborn until the checkout is done (makeWorkspace says why).
        try writeFile(dotGit + "/HEAD", Array("ref: refs/heads/\(branch ?? "main")\n".utf8))
        try writeFile(dotGit + "/config", Array("""
            [core]
            \trepositoryformatversion = 0
            \tfilemode = true
            \tbare = false
            \tlogallrefupdates = true

            """.utf8))
        try writeFile(dotGit + "/objects/info/alternates", Array((objects + "\n").utf8))
        return try open(path)
    }

    /// Writes the tree of `commitID` into this repository's working tree and its index.
    private func checkOutIntoWorkingTree(_ commitID: ObjectID) throws(GitError) {
        try withTree(of: commitID) { tree throws(GitError) in
            var options = git_checkout_options()
            try git(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
            try git(git_checkout_tree(handle, tree, &options), "cannot check out \(commitID.short) into \(workingDirectory ?? gitDirectory)")
        }
    }

    /// Sets the index to the tree of `commitID`, leaving the working tree alone. The entries
    /// carry no file times or sizes, so git compares their contents the first time it looks.
    private func readIntoIndex(_ commitID: ObjectID) throws(GitError) {
        try withTree(of: commitID) { tree throws(GitError) in
            var index: OpaquePointer?
            try git(git_repository_index(&index, handle), "cannot open the index of \(gitDirectory)")
            defer { git_index_free(index) }
            try git(git_index_read_tree(index, tree), "cannot read \(commitID.short) into the index")
            try git(git_index_write(index), "cannot write the index of \(gitDirectory)")
        }
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
        try writeFile(gitDirectory + "/packed-refs", Array(text.utf8))
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8]) throws(GitError) {
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
