import ArgumentParser
import Foundation

/// Where to find the repository, shared by every command that reads one.
struct RepositoryOptions: ParsableArguments {
    @Option(name: [.customShort("C"), .customLong("repo")], help: "Run as if gitci was started in this folder.")
    var directory: String?

    var path: String {
        let base = FileManager.default.currentDirectoryPath
        guard let directory else { return base }
        return directory.hasPrefix("/") ? directory : (base as NSString).appendingPathComponent(directory)
    }
}

/// Output switches shared by the commands that print results.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output (progress, if any, goes to standard error).")
    var json = false
}
