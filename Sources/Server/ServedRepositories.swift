import Foundation
import Runner

/// The repositories a coordinator serves: those `gitci install` registered (RepositoryRegistry)
/// and those named on its command line, each under the name of its folder (`app.git` → `app`).
/// Two with one name: the later gets `-2`, `-3`.
public struct ServedRepositories: Sendable {
    public struct Entry: Sendable, Hashable, Encodable {
        public let name: String
        public let path: String
    }

    public let entries: [Entry]

    public init(registered: [String], extra: [String]) {
        var seen: [String: Int] = [:]
        var entries: [Entry] = []
        var paths = Set<String>()
        for path in registered + extra where paths.insert(path).inserted {
            var base = (path as NSString).lastPathComponent
            // A working repository's git directory (`app/.git`) is named after its folder.
            if base == ".git" { base = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent }
            if base.hasSuffix(".git") { base = String(base.dropLast(4)) }
            if base.isEmpty { base = "repository" }
            let count = (seen[base] ?? 0) + 1
            seen[base] = count
            entries.append(Entry(name: count == 1 ? base : "\(base)-\(count)", path: path))
        }
        self.entries = entries
    }

    public func path(of name: String) -> String? {
        entries.first { $0.name == name }?.path
    }
}
