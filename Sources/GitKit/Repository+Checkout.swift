internal import CLibgit2
import Foundation

extension Repository {
    /// Writes `commit`'s tree into `directory` (created if missing; its parent must exist),
    /// leaving the repository's own index and working tree alone. Works from bare repositories.
    public func checkout(_ commitID: ObjectID, into directory: String) throws(GitError) {
        // libgit2 requires an absolute target directory, and makes it (not its parents).
        let target = directory.hasPrefix("/") ? directory : URL(fileURLWithPath: directory).standardizedFileURL.path
        try withTree(of: commitID) { tree throws(GitError) in
            var options = git_checkout_options()
            try git(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)))
            // DONT_UPDATE_INDEX: parallel checkouts into different folders would otherwise all
            // rewrite $GIT_DIR/index. The empty baseline tells libgit2 the folder starts empty.
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
                | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
            var emptyTreeOID = git_oid()
            _ = git_oid_fromstr(&emptyTreeOID, "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
            var emptyTree: OpaquePointer?
            if git_tree_lookup(&emptyTree, handle, &emptyTreeOID) == 0 {
                options.baseline = emptyTree
            }
            defer { git_tree_free(emptyTree) }
            let rc = target.withCString { path in
                options.target_directory = path
                return git_checkout_tree(handle, tree, &options)
            }
            try git(rc, "cannot check out \(commitID.short) into \(target)")
        }
    }
}
