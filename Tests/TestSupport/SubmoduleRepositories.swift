import Foundation

/// Bare repositories made with the `git` command line, whose commits may hold submodules of
/// each other by relative URL (`../lib.git`), as on a server that hosts them side by side.
public enum SubmoduleRepositories {
    /// Makes (or adds to) the bare repository at `bare`: a commit on `main` holding `files`
    /// and, for each of `submodules`, the tip of `url`'s `main` as a gitlink at `path` (a
    /// relative `url` is resolved against `bare`, as `git submodule add` does with `origin`).
    /// Returns the commit's id.
    @discardableResult
    public static func commit(to bare: String, files: [String: String], submodules: [(path: String, url: String)] = [],
                              message: String = "change") throws -> String {
        if !FileManager.default.fileExists(atPath: bare) {
            try run(["git", "init", "-q", "--bare", "-b", "main", bare], in: "/")
        }
        let work = TemporaryDirectory("gitci-submodule-work")
        try run(["git", "init", "-q", "-b", "main"], in: work.path)
        try run(["git", "remote", "add", "origin", bare], in: work.path)
        if try Shell.run(["git", "ls-remote", "--exit-code", bare, "refs/heads/main"]).status == 0 {
            try run(["git", "pull", "-q", "origin", "main"], in: work.path)
        }
        for (name, contents) in files {
            let target = work.url(name)
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: URL(fileURLWithPath: target))
        }
        for submodule in submodules {
            // git refuses file:// submodules unless told (CVE-2022-39253); gitci has no such rule.
            try run(["git", "-c", "protocol.file.allow=always", "submodule", "add", "-q", submodule.url, submodule.path],
                    in: work.path)
        }
        try run(["git", "add", "-A"], in: work.path)
        try run(["git", "commit", "-q", "--allow-empty", "-m", message], in: work.path)
        try run(["git", "push", "-q", "origin", "main"], in: work.path)
        return try run(["git", "rev-parse", "HEAD"], in: work.path)
    }

    /// Runs `arguments`, requiring success; returns standard output, trimmed.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String) throws -> String {
        let result = try Shell.run(arguments, in: directory)
        guard result.status == 0 else {
            throw FixtureError("\(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
