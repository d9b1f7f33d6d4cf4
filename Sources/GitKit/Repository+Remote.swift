internal import CLibgit2
import Foundation

extension Repository {
    /// Fetches `refspecs` (`refs/notes/gitci:refs/notes/remotes/origin/gitci`, …) from `remote`:
    /// the name of a configured remote, or a URL or path. An empty list fetches what the remote's
    /// configuration says.
    public func fetch(remote: String, refspecs: [String]) throws(GitError) {
        let handleOfRemote = try openRemote(remote)
        defer { git_remote_free(handleOfRemote) }
        var options = git_fetch_options()
        try git(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
        // FETCH_HEAD is for people at a terminal; concurrent fetches would only fight over it.
        options.update_fetchhead = 0
        let rc = withStringArray(refspecs) { array in
            git_remote_fetch(handleOfRemote, &array, &options, "gitci: fetch from \(remote)")
        }
        let what = refspecs.isEmpty ? "" : refspecs.joined(separator: " ") + " "
        try git(rc, "cannot fetch \(what)from '\(remote)'")
    }

    /// Pushes `refspecs` (`refs/notes/gitci:refs/notes/gitci`, …) to `remote` (a configured
    /// remote, a URL or a path). A ref the remote refused, or that is not a fast-forward when the
    /// refspec has no `+`, is an error naming the ref and the reason.
    public func push(remote: String, refspecs: [String]) throws(GitError) {
        let handleOfRemote = try openRemote(remote)
        defer { git_remote_free(handleOfRemote) }
        var options = git_push_options()
        try git(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)))
        let rejections = PushRejections()
        options.callbacks.payload = Unmanaged.passUnretained(rejections).toOpaque()
        options.callbacks.push_update_reference = { name, status, payload in
            // status is nil when the remote accepted the update.
            guard let status, let payload else { return 0 }
            let rejections = Unmanaged<PushRejections>.fromOpaque(payload).takeUnretainedValue()
            rejections.items.append((name.map { String(cString: $0) } ?? "?", String(cString: status)))
            return 0
        }
        let rc = withExtendedLifetime(rejections) {
            withStringArray(refspecs) { array in git_remote_push(handleOfRemote, &array, &options) }
        }
        try git(rc, "cannot push \(refspecs.joined(separator: " ")) to '\(remote)'")
        if !rejections.items.isEmpty {
            let reasons = rejections.items.map { "\($0.ref) (\($0.reason))" }.joined(separator: ", ")
            throw GitError(code: GIT_ERROR.rawValue, message: "'\(remote)' rejected the push of \(reasons)")
        }
    }

    /// Whether libgit2 would reach `remote` (a configured remote's name, a URL or a path)
    /// through its local transport: a path or a `file://` URL. That transport writes into the
    /// other repository itself and runs none of its hooks (pre-receive included), so what must
    /// pass them goes through git's receive-pack instead.
    public func isLocalRemote(_ remote: String) -> Bool {
        var url = remote
        var pointer: OpaquePointer?
        if git_remote_lookup(&pointer, handle, remote) == 0, let pointer {
            defer { git_remote_free(pointer) }
            // The push URL when one is set: that is where a push goes.
            if let configured = git_remote_pushurl(pointer) ?? git_remote_url(pointer) { url = String(cString: configured) }
        }
        if url.lowercased().hasPrefix("file://") { return true }
        if url.contains("://") { return false }
        // git's own rule: `host:path` is ssh when the colon comes before any slash.
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") { return false }
        return true
    }

    /// A configured remote by name, or an anonymous remote for a URL or path.
    private func openRemote(_ remote: String) throws(GitError) -> OpaquePointer {
        var pointer: OpaquePointer?
        let rc = git_remote_lookup(&pointer, handle, remote)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue {
            try git(git_remote_create_anonymous(&pointer, handle, remote), "cannot use remote '\(remote)'")
        } else {
            try git(rc, "cannot read remote '\(remote)'")
        }
        guard let pointer else { throw GitError(code: -1, message: "cannot use remote '\(remote)'") }
        // What the remote is reached by decides whether TLS certificates are needed (a push
        // goes to the push URL when one is set).
        for url in [git_remote_url(pointer), git_remote_pushurl(pointer)] {
            if let url { Libgit2.loadCertificates(for: String(cString: url)) }
        }
        return pointer
    }
}

/// What the remote said no to during one push; filled by libgit2's callback, on this thread.
private final class PushRejections {
    var items: [(ref: String, reason: String)] = []
}
