internal import CLibgit2
import Foundation

/// What a fetch into a mirror takes: every branch and tag, as they are on the remote.
let mirrorRefspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]

extension Repository {
    /// The bare mirror of `url` at `path`, brought up to date with the remote's branches and
    /// tags (cloned when missing; branches the remote deleted are deleted here too), its HEAD on
    /// the remote's default branch. Builds that share a mirror take turns through its lock file
    /// (as `mirror(of:at:holding:)`), so two fetches into one mirror never overlap.
    public static func updatedMirror(of url: String, at path: String, authentication: FetchAuthentication) throws(GitError) -> Repository {
        let lock = try MirrorLock(path + ".lock")
        defer { lock.release() }
        let mirror: Repository
        if let existing = try? open(path) {
            mirror = existing
        } else {
            try? FileManager.default.removeItem(atPath: path)
            mirror = try create(path, bare: true)
        }
        try mirror.fetchMirror(from: url, authentication: authentication)
        return mirror
    }

    /// Fetches every branch and tag of `url` into this (bare) repository, pruning what the remote
    /// no longer has, and points HEAD at the remote's default branch.
    func fetchMirror(from url: String, authentication: FetchAuthentication) throws(GitError) {
        // libgit2 calls a missing local path an "unsupported URL protocol".
        if url.hasPrefix("/"), access(url, F_OK) != 0 {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no repository at \(url)")
        }
        Libgit2.loadCertificates(for: url)
        var remote: OpaquePointer?
        try git(git_remote_create_anonymous(&remote, handle, url), "cannot use the URL \(FetchAuthentication.redacted(url))")
        defer { git_remote_free(remote) }
        let session = FetchSession(authentication: authentication, url: url)
        try withExtendedLifetime(session) { () throws(GitError) in
            var options = git_fetch_options()
            try git(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
            options.update_fetchhead = 0
            options.prune = GIT_FETCH_PRUNE
            session.install(in: &options.callbacks)
            func failure(_ rc: Int32) throws(GitError) {
                do {
                    try git(rc)
                } catch {
                    throw GitError(code: error.code, message: "cannot fetch from \(FetchAuthentication.redacted(url)): \(session.message(for: error))")
                }
            }
            try failure(git_remote_connect(remote, GIT_DIRECTION_FETCH, &options.callbacks, &options.proxy_opts, nil))
            defer { git_remote_disconnect(remote) }
            var defaultBranch = git_buf()
            defer { git_buf_dispose(&defaultBranch) }
            // An empty remote has none; a server too old to say guesses from HEAD's commit.
            let hasDefault = git_remote_default_branch(&defaultBranch, remote) == 0
            try failure(withStringArray(mirrorRefspecs) { array in git_remote_download(remote, &array, &options) })
            try failure(git_remote_update_tips(remote, &options.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, "gitci: fetch"))
            try failure(git_remote_prune(remote, &options.callbacks))
            if hasDefault, let name = defaultBranch.ptr {
                var head: OpaquePointer?
                if git_reference_symbolic_create(&head, handle, "HEAD", name, 1, "gitci: the remote's default branch") == 0 {
                    git_reference_free(head)
                }
            }
        }
    }

    /// What `ref` (a branch, a tag, a full or abbreviated commit id, or `HEAD`: the default
    /// branch) names in this mirror: the commit, and the branch when it is one.
    public func resolveMirrorRef(_ ref: String) throws(GitError) -> (commit: ObjectID, branch: String?) {
        if let id = ObjectID(hex: ref) {
            guard hasObject(id), (try? commit(id)) != nil else {
                throw GitError(code: GIT_ENOTFOUND.rawValue, message: "commit \(id.short) is not on any branch or tag")
            }
            return (id, nil)
        }
        if ref == "HEAD" {
            guard let branch = currentBranch, let tip = branchTip(branch) else {
                throw GitError(code: GIT_ENOTFOUND.rawValue, message: "the repository has no default branch (is it empty?)")
            }
            return (tip, branch)
        }
        let branch = ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref
        if let tip = branchTip(branch) { return (tip, branch) }
        for candidate in [ref.hasPrefix("refs/") ? ref : "refs/tags/" + ref] {
            if referenceTarget(candidate) != nil, let id = try? resolveCommit(candidate) { return (id, nil) }
        }
        // An abbreviated commit id; nothing else rev-parse understands (`main~2`, `:/text`).
        if ref.utf8.count >= 4, ref.utf8.allSatisfy(\.isHexDigit), let id = try? resolveCommit(ref) { return (id, nil) }
        throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no branch, tag or commit '\(ref)'")
    }

    /// The bytes of blob `id`, at most `limit` of them.
    public func blob(_ id: ObjectID, limit: Int = 64 << 20) throws(GitError) -> [UInt8] {
        var oid = id.raw
        var blob: OpaquePointer?
        try git(git_blob_lookup(&blob, handle, &oid), "cannot read blob \(id.short)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size <= limit else { throw GitError(code: -1, message: "blob \(id.short) is \(size) bytes; the limit is \(limit)") }
        guard size > 0, let content = git_blob_rawcontent(blob) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: content, count: size))
    }

    /// What each leading part of `path` is in `commit`'s tree (`a`, `a/b`, `a/b/c`), as far as
    /// there is something: where a checkout into the commit's working tree would go through.
    public func entryKinds(along path: String, in commit: ObjectID) throws(GitError) -> [(path: String, kind: TreeEntryKind)] {
        try withTree(of: commit) { tree throws(GitError) in
            var kinds: [(path: String, kind: TreeEntryKind)] = []
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + component
                var entry: OpaquePointer?
                let rc = git_tree_entry_bypath(&entry, tree, prefix)
                if rc == GIT_ENOTFOUND.rawValue { break }
                try git(rc, "cannot look up \(prefix) at \(commit.short)")
                defer { git_tree_entry_free(entry) }
                let kind: TreeEntryKind
                switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_TREE: kind = .folder
                case GIT_FILEMODE_LINK: kind = .symbolicLink
                case GIT_FILEMODE_COMMIT: kind = .submodule
                default: kind = .file
                }
                kinds.append((prefix, kind))
                if kind != .folder { break }
            }
            return kinds
        }
    }
}

public enum TreeEntryKind: Sendable, Equatable {
    case folder, file, symbolicLink, submodule
}
