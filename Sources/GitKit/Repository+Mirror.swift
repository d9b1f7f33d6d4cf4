internal import CLibgit2
import Foundation

extension Repository {
    /// The bare mirror of `url` at `path`, holding `commit`: made (cloned) when missing, fetched
    /// again only when `commit` is not in it yet. Builds that share a mirror take turns through
    /// the lock file `<path>.lock`, held while the mirror is made or fetched into.
    /// With `authentication`, the fetch authenticates as `repos:` entries do (FetchAuthentication).
    public static func mirror(of url: String, at path: String, holding commit: ObjectID,
                              authentication: FetchAuthentication? = nil) throws(GitError) -> Repository {
        if let mirror = try? open(path), mirror.hasObject(commit) { return mirror }
        let lock = try MirrorLock(path + ".lock")
        defer { lock.release() }
        // Another build may have fetched it while this one waited.
        var mirror: Repository
        if let existing = try? open(path) {
            mirror = existing
            if mirror.hasObject(commit) { return mirror }
        } else {
            // What an interrupted clone left is not a mirror to trust.
            try? FileManager.default.removeItem(atPath: path)
            mirror = try create(path, bare: true)
        }
        if let authentication {
            try mirror.fetchMirror(from: url, authentication: authentication)
        } else {
            try fetchPlainly(mirror, from: url)
        }
        guard mirror.hasObject(commit) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "commit \(commit.short) is not on any branch or tag of \(url)")
        }
        return mirror
    }

    private static func fetchPlainly(_ mirror: Repository, from url: String) throws(GitError) {
        // libgit2 calls a missing local path an "unsupported URL protocol".
        if url.hasPrefix("/"), access(url, F_OK) != 0 {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no repository at \(url)")
        }
        do {
            try mirror.fetch(remote: url, refspecs: ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"])
        } catch {
            throw GitError(code: error.code, message: "cannot fetch from \(url): " + error.message.split(separator: ": ").dropFirst().joined(separator: ": "))
        }
    }

    /// Whether the object database (alternates included) holds `id`.
    public func hasObject(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, handle) == 0 else { return false }
        defer { git_odb_free(odb) }
        var oid = id.raw
        return git_odb_exists(odb, &oid) == 1
    }
}

/// An exclusive `flock` on a file, waited for; released by `release()` (or by the process
/// ending, which a crashed build cannot forget to do).
struct MirrorLock {
    let descriptor: Int32

    init(_ path: String) throws(GitError) {
        descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw GitError(code: GIT_ERROR.rawValue, message: "cannot open the lock \(path): \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw GitError(code: GIT_ERROR.rawValue, message: "cannot lock \(path): \(reason)")
            }
        }
    }

    func release() {
        close(descriptor)
    }
}
