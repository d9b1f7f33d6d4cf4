import GitKit
import Foundation

/// Which local repositories a build may fetch submodules from. gitci fetches them itself, outside
/// any sandbox, from URLs a pusher writes in `.gitmodules`: without a rule, a push could name
/// any repository on the server (`/srv/git/other-team/secret.git`) and read it in its build.
/// A local URL (a path or `file://`) is allowed when its real path (symbolic links resolved) is
/// inside the folder that holds the built repository (its siblings, or below them) or inside a
/// folder the repository's git config lists as `gitci.submoduleRoots`. Remote URLs are not
/// concerned: the server reaches them as anyone could.
struct SubmoduleURLPolicy {
    /// The config key, multi-valued, that allows further folders.
    static let rootsKey = "gitci.submoduleRoots"

    /// Real paths of the folders allowed.
    let roots: [String]
    /// Where `git config` must be run to allow a folder: the built repository's git directory.
    let gitDirectory: String

    /// `base` is what the repository's relative submodule URLs resolve against
    /// (SubmoduleCheckout.base): the folder holding it is allowed, with those configured.
    init(repository: Repository, base: String) {
        gitDirectory = repository.gitDirectory
        var folders: [String] = []
        if let local = Submodule.localPath(of: base) { folders.append((local as NSString).deletingLastPathComponent) }
        folders += repository.configValues(Self.rootsKey)
        roots = folders.compactMap(Self.realPath)
    }

    /// What to fetch `url` (resolved) from: the real path of a local URL allowed, the URL itself
    /// when it is remote. Throws, saying how to allow it, for a local URL elsewhere.
    func source(for url: String) throws(GitError) -> String {
        guard let path = Submodule.localPath(of: url) else { return url }
        guard path.hasPrefix("/") else {
            throw GitError(code: -1, message: "\(url) is neither a local path nor a URL gitci can fetch from")
        }
        guard let real = Self.realPath(path) else {
            throw GitError(code: -1, message: "no repository at \(path)")
        }
        guard !roots.contains(where: { real == $0 || real.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else { return real }
        let folder = (real as NSString).deletingLastPathComponent
        throw GitError(code: -1, message: """
            \(real) is outside the folder holding this repository\(roots.isEmpty ? "" : " (\(roots.joined(separator: ", ")))"), \
            which a build may not reach; to allow it: git -C \(gitDirectory) config --add \(Self.rootsKey) \(folder)
            """)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
