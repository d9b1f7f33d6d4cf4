/// How `gitci status` and `gitci run` show the commits a job's `repos:` entries were pinned to.
enum PinnedReposText {
    /// `repos: lib 1a2b3c4d5e, tools 9f8e7d6c5b`, by name; nil for a job without entries.
    static func line(_ repos: [String: String]?) -> String? {
        guard let repos, !repos.isEmpty else { return nil }
        return "repos: " + repos.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.prefix(10))" }.joined(separator: ", ")
    }
}
