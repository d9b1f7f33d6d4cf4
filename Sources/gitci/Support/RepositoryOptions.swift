import ArgumentParser
import Foundation
import GitKit

/// Where to find the repository, shared by every command that reads one.
struct RepositoryOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .customLong("repo")], help: "Run as if gitci was started in this folder.")
    var directory: String?

    var path: String {
        directory.map(Self.absolute) ?? FileManager.default.currentDirectoryPath
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        // realpath(3) where the path exists: it resolves what standardizingPath resolves, without
        // the ~0.5 ms Foundation spends on first use (in every worker a push starts).
        if let resolved = realpath(full, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return (full as NSString).standardizingPath
    }

    /// The git directory shared by all worktrees of the repository around `path`: where the
    /// state folder lives. A usage error (exit 2) when there is no repository.
    static func commonDirectory(of path: String) throws -> String {
        try repository(around: path).commonDirectory
    }

    /// The repository around `path`. A usage error (exit 2) when there is none.
    static func repository(around path: String) throws -> Repository {
        do {
            return try Repository.open(path, search: true)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

/// Output switches shared by the commands that print results.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output (progress, if any, goes to standard error).")
    var json = false
}
