public import Foundation

/// gitci's own folder for this user: `$GITCI_HOME`, by default `~/.local/share/gitci`.
public enum GitciHome {
    public static let variable = "GITCI_HOME"

    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment[variable], !home.isEmpty { return home }
        return userHome(environment: environment) + "/.local/share/gitci"
    }

    private static func userHome(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        // A hook may run with no HOME at all: the password database knows it.
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir { return String(cString: directory) }
        return NSTemporaryDirectory()
    }
}

/// Where the job workspaces of one repository are made: outside its git directory, so that a
/// step never finds the repository by walking up from its workspace.
///
/// `$GITCI_HOME/workspaces/<name>-<hash>/`, where `<name>` is the repository's folder name made
/// safe (FileName) and `<hash>` a short hash of its git directory's real path, so that two
/// repositories of one name never share a folder. Runs get `<run id>/` in there, jobs
/// `<run id>/<job folder>`.
public enum WorkspaceRoot {
    public static func path(gitCommonDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let real = realpath(gitCommonDirectory, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? gitCommonDirectory
        return GitciHome.path(environment: environment) + "/workspaces/" + folderName(forGitDirectory: real)
    }

    /// `app-1f2e3d4c5b6a` for `/srv/git/app.git` or `/home/me/app/.git`.
    static func folderName(forGitDirectory path: String) -> String {
        var name = (path as NSString).lastPathComponent
        if name == ".git" { name = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent }
        if name.hasSuffix(".git"), name.count > 4 { name.removeLast(4) }
        return FileName.safe(name, limit: 40) + "-" + StableHash.hex(path, digits: 12)
    }

    /// Makes `path` and its missing parents, private to this user (builds may hold secrets).
    static func makePrivateFolders(_ path: String) -> Bool {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return true }
        guard errno == ENOENT else { return false }
        let parent = (path as NSString).deletingLastPathComponent
        guard parent != path, makePrivateFolders(parent) else { return false }
        return mkdir(path, 0o700) == 0 || errno == EEXIST
    }
}

/// A hash that stays the same across processes and machines (Swift's `Hasher` is seeded per
/// process): FNV-1a, 64 bits. For names of folders, not for security.
enum StableHash {
    static func hex(_ text: String, digits: Int) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let full = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - full.count) + full).prefix(digits))
    }
}
