public import GitKit
public import Pipeline

/// A job's cache key: what a later run compares to decide that the job would do exactly what
/// an earlier passed run did, so that its result stands (`reused`).
///
/// Made of the job's definition after matrix expansion (JobDefinition), the digest of the part
/// of the tree its `inputs:` select, the commits its `repos:` entries were pinned to and the
/// variables the build request adds (`ci.variable` push options). Not of the build's identity
/// (commit, branch, tag, run id, workspace) nor of the machine's environment: a new branch of
/// an unchanged tree reuses every job. Hashed as git hashes a blob, so the key is a
/// 40-character hex id.
public enum CacheKey {
    public static let version = 1

    /// Nil when a `repos:` entry of the job has no pinned commit: without it, a key would stand
    /// for whatever that repository held, and the job always runs.
    public static func compute(job: PlannedJob, inputsDigest: ObjectID, repoCommits: [String: ObjectID],
                               variables: [String: String]) -> String? {
        var text = "gitci-cache-key \(version)\n"
        text += JobDefinition.canonicalText(of: job)
        text += "inputs-digest \(inputsDigest.hex)\n"
        for name in Set(job.config.repos.map(\.name)).sorted() {
            guard let commit = repoCommits[name] else { return nil }
            text += "repo-commit \(name.utf8.count):\(name) \(commit.hex)\n"
        }
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) {
            text += "variable \(name.utf8.count):\(name) \(value.utf8.count):\(value)\n"
        }
        return ObjectID.blobID(of: Array(text.utf8)).hex
    }

    /// The digest of what `patterns` select in `commit`'s tree: each selected path with its
    /// tree or blob id (a missing path as missing), read from the object database only, and
    /// only as deep as the patterns need (Repository.selectedEntries).
    public static func inputsDigest(of commit: ObjectID, patterns: InputPatterns, in repository: Repository) throws(GitError) -> ObjectID {
        let entries = try repository.selectedEntries(of: commit, starts: patterns.starts) { path, isTree in
            switch patterns.verdict(path: path, isTree: isTree) {
            case .take: return .take
            case .skip: return .skip
            case .descend: return .descend
            }
        }
        var text = "gitci-inputs \(version)\n"
        for entry in entries {
            text += "\(entry.path.utf8.count):\(entry.path) \(entry.id?.hex ?? "-")\n"
        }
        return ObjectID.blobID(of: Array(text.utf8))
    }
}
