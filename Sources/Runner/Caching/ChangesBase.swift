import GitKit
import Pipeline
import Store

/// The commit `changes:` compares a build with.
///
/// - `changes_base: REV`: the merge base of the commit and REV.
/// - Otherwise, on a branch: the newest commit of the branch's own first-parent line (before
///   it meets the default branch) whose pipeline passed: the last pass of its plan branch.
/// - No such commit yet (a branch's first build): the merge base with the default branch
///   (Repository.defaultBranch), never the empty tree.
/// - On the default branch itself (or a commit already in it): the newest passed commit of
///   its first-parent line, else the commit's parent.
/// A base that is the commit itself (a REV that already holds it) gives way to the parent.
struct ChangesBase {
    /// How far back a branch's line is searched for a passed commit.
    static let searchLimit = 200

    enum Outcome {
        case found(ObjectID, how: String)
        /// No base at all: the job runs, and its log says why.
        case none(String)
    }

    let repository: Repository
    let commit: ObjectID
    let target: BuildTarget
    let index: ResultIndex?

    func find(override revision: String?) -> Outcome {
        do {
            if let revision {
                let other: ObjectID
                do {
                    other = try repository.resolveCommit(revision)
                } catch {
                    return .none("changes_base '\(revision)' names no commit here (\(error.message))")
                }
                guard let base = try repository.mergeBase(of: commit, and: other) else {
                    return .none("\(commit.short) has no history in common with changes_base '\(revision)'")
                }
                return try base == commit ? parent(or: "changes_base '\(revision)' already holds \(commit.short)")
                    : .found(base, how: "merge base with \(revision)")
            }
            let defaultBranch = repository.defaultBranch
            var stop: ObjectID?
            if let defaultBranch, target.branch != defaultBranch.name,
               let base = try repository.mergeBase(of: commit, and: defaultBranch.tip), base != commit {
                stop = base
            }
            if let passed = try lastPassed(before: stop) {
                return .found(passed, how: "last passed commit\(target.branch.map { " of \($0)" } ?? "")")
            }
            if let stop, let defaultBranch {
                return .found(stop, how: "merge base with \(defaultBranch.name)")
            }
            return try parent(or: "\(commit.short) has no parent and no earlier passed commit")
        } catch {
            return .none("cannot find a base to compare with: \(error.message)")
        }
    }

    private func parent(or reason: String) throws(GitError) -> Outcome {
        guard let parent = try repository.commit(commit).parents.first else { return .none(reason) }
        return .found(parent, how: "parent commit")
    }

    /// The newest commit of the first-parent line below `commit` (down to `stop`, excluded)
    /// whose pipeline passed, by the index.
    private func lastPassed(before stop: ObjectID?) throws(GitError) -> ObjectID? {
        guard let index, let first = try repository.commit(commit).parents.first else { return nil }
        var line: [ObjectID] = []
        for info in try repository.firstParentHistory(from: first, limit: Self.searchLimit) {
            if info.id == stop { break }
            line.append(info.id)
        }
        guard !line.isEmpty, let summaries = try? index.summaries(of: line) else { return nil }
        return line.first { summaries[$0]?.status == PipelineStatus.passed.rawValue }
    }
}
