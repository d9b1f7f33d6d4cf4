internal import CLibgit2
import Foundation

/// A submodule of one commit: where `.gitmodules` puts it, where it comes from, and the commit
/// the superproject's tree records for it (a gitlink).
public struct Submodule: Sendable, Hashable {
    public let name: String
    public let path: String
    /// As written in `.gitmodules` (possibly relative: `../lib.git`).
    public let url: String
    public let commit: ObjectID

    /// `url` resolved the way git does, against `base` (the superproject's own URL or path):
    /// `./x` below it, each `../` one level up. Absolute URLs and paths are returned as they are.
    public func resolvedURL(against base: String) -> String {
        Self.resolve(url, against: base)
    }

    public static func resolve(_ url: String, against base: String) -> String {
        guard url.hasPrefix("./") || url.hasPrefix("../") else { return url }
        var rest = Substring(url)
        var root = Substring(base)
        while root.count > 1, root.hasSuffix("/") { root = root.dropLast() }
        while true {
            if rest.hasPrefix("./") {
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("../") {
                rest = rest.dropFirst(3)
                // One component off, whether `/`-separated or after `host:` of an scp-like URL.
                if let cut = root.lastIndex(where: { $0 == "/" || $0 == ":" }) {
                    let separator = root[cut]
                    root = root[..<cut]
                    if separator == ":" { root += ":" }
                    if root.isEmpty { root = "/" }
                } else {
                    root = "."
                }
            } else {
                break
            }
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        if root.hasSuffix(":") || root.hasSuffix("/") { return String(root) + String(rest) }
        return String(root) + "/" + String(rest)
    }

    /// The path on this machine that libgit2 would read `url` (already resolved) from: a path,
    /// or a `file://` URL decoded; nil for a remote URL (`scheme://`, `[user@]host:path`).
    /// A relative path is taken against the current directory, as libgit2 takes it.
    /// `file://` with a host other than `localhost` is not a path and not remote: it stays as
    /// written so that the caller refuses it.
    public static func localPath(of url: String) -> String? {
        if url.hasPrefix("file://") {
            var rest = url.dropFirst("file://".count)
            if rest.hasPrefix("localhost/") { rest = rest.dropFirst("localhost".count) }
            guard rest.hasPrefix("/") else { return url }
            return String(rest).removingPercentEncoding ?? url
        }
        if let scheme = url.range(of: "://"), !url[..<scheme.lowerBound].contains("/") { return nil }
        // scp-like `host:path`: a colon before the first slash, as git reads it.
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") { return nil }
        if url.hasPrefix("/") { return url }
        return FileManager.default.currentDirectoryPath + "/" + url
    }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }
}

extension Repository {
    /// The submodules of this working tree as checked out at `commitID`: the entries of its
    /// `.gitmodules` whose path is a gitlink of the commit's tree. A gitlink `.gitmodules` does
    /// not name is left out (its folder stays empty), as are entries without a gitlink.
    public func submodules(at commitID: ObjectID) throws(Submodule.Problem) -> [Submodule] {
        guard let root = workingDirectory else { return [] }
        let file = root + "/.gitmodules"
        var status = stat()
        guard lstat(file, &status) == 0 else { return [] }
        // git refuses a symbolic link there too: it would read a file from outside the tree.
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw Submodule.Problem(description: ".gitmodules at \(commitID.short) is not a regular file")
        }
        let entries: [(name: String, key: String, value: String)]
        do {
            entries = try Self.submoduleEntries(file)
        } catch {
            throw Submodule.Problem(description: "cannot read .gitmodules at \(commitID.short): \(error.message)")
        }
        var paths: [String: String] = [:]
        var urls: [String: String] = [:]
        var order: [String] = []
        for entry in entries {
            if paths[entry.name] == nil, urls[entry.name] == nil { order.append(entry.name) }
            if entry.key == "path" { paths[entry.name] = entry.value }
            if entry.key == "url" { urls[entry.name] = entry.value }
        }
        var submodules: [Submodule] = []
        for name in order {
            guard let path = paths[name].map(Self.withoutExtraSlashes), !path.isEmpty else { continue }
            guard Self.isSafeSubmodulePath(path) else {
                throw Submodule.Problem(description: "submodule '\(name)' in .gitmodules at \(commitID.short) has the path '\(path)', which leaves the working tree")
            }
            guard let commit = try gitlink(at: path, in: commitID) else { continue }
            guard let url = urls[name], !url.isEmpty else {
                throw Submodule.Problem(description: "submodule \(path) has no url in .gitmodules at \(commitID.short)")
            }
            guard !url.hasPrefix("-") else {
                throw Submodule.Problem(description: "submodule \(path) has the url '\(url)', which starts with '-'")
            }
            submodules.append(Submodule(name: name, path: path, url: url, commit: commit))
        }
        return submodules
    }

    /// `submodule.<name>.<key>` entries of a `.gitmodules` file, in file order.
    private static func submoduleEntries(_ file: String) throws(GitError) -> [(name: String, key: String, value: String)] {
        var config: OpaquePointer?
        try git(git_config_open_ondisk(&config, file))
        defer { git_config_free(config) }
        var iterator: OpaquePointer?
        try git(git_config_iterator_glob_new(&iterator, config, "^submodule\\..*\\.(path|url)$"))
        defer { git_config_iterator_free(iterator) }
        var entries: [(name: String, key: String, value: String)] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while true {
            let rc = git_config_next(&entry, iterator)
            if rc == GIT_ITEROVER.rawValue { break }
            try git(rc)
            guard let entry, let rawName = entry.pointee.name, let rawValue = entry.pointee.value else { continue }
            // The name between `submodule.` and the last dot may itself hold dots.
            let full = String(cString: rawName)
            guard let lastDot = full.lastIndex(of: ".") else { continue }
            let name = String(full[full.index(full.startIndex, offsetBy: "submodule.".count)..<lastDot])
            entries.append((name, String(full[full.index(after: lastDot)...]), String(cString: rawValue)))
        }
        return entries
    }

    /// The commit a gitlink at `path` of `commitID`'s tree records, or nil when there is none.
    private func gitlink(at path: String, in commitID: ObjectID) throws(Submodule.Problem) -> ObjectID? {
        var oid = commitID.raw
        var commit: OpaquePointer?
        var tree: OpaquePointer?
        guard git_commit_lookup(&commit, handle, &oid) == 0 else {
            throw Submodule.Problem(description: "cannot read commit \(commitID.short)")
        }
        defer { git_commit_free(commit) }
        guard git_commit_tree(&tree, commit) == 0 else {
            throw Submodule.Problem(description: "cannot read the tree of \(commitID.short)")
        }
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0 else { return nil }
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_filemode(entry) == GIT_FILEMODE_COMMIT else { return nil }
        return ObjectID(git_tree_entry_id(entry).pointee)
    }

    /// No absolute path, no `..` or `.git` component: the checkout goes inside the tree.
    static func isSafeSubmodulePath(_ path: String) -> Bool {
        guard !path.hasPrefix("/") else { return false }
        return !path.split(separator: "/").contains { $0 == ".." || $0 == "." || $0.lowercased() == ".git" }
    }
}
