import Foundation

/// A real git repository in a temporary folder, built with the `git` command line.
public final class GitFixture: @unchecked Sendable {
    // @unchecked: the stored properties are immutable; the folder is this fixture's alone.
    public let directory: TemporaryDirectory
    public var path: String { directory.path }

    /// A new repository on branch `main`, optionally with files committed.
    public init(files: [String: String] = [:], message: String = "initial", bare: Bool = false) throws {
        directory = TemporaryDirectory("gitci-repo")
        try git(bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
        if !files.isEmpty { try commit(files, message: message) }
    }

    @discardableResult
    public func git(_ arguments: [String]) throws -> String {
        let result = try Shell.run(["git"] + arguments, in: path)
        guard result.status == 0 else {
            throw FixtureError("git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func write(_ relative: String, _ contents: String, executable: Bool = false) throws {
        let target = directory.url(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: target))
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: target) }
    }

    /// Writes the files, commits them all, and returns the new commit id.
    @discardableResult
    public func commit(_ files: [String: String], message: String = "change") throws -> String {
        for (name, contents) in files { try write(name, contents) }
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
        return try git(["rev-parse", "HEAD"])
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
