public import GitKit
import Foundation

/// What a job's workspace is made of. Every job gets a fresh folder of its own, so that jobs
/// running side by side never see each other's files.
public enum WorkspaceSource: Sendable {
    /// A commit's tree, checked out through libgit2 from the repository at `gitDirectory`.
    case commit(gitDirectory: String, commit: ObjectID)
    /// A snapshot of a working tree: `files` (relative paths) copied from `root` as they are now.
    case workingTree(root: String, files: [String])

    public struct PreparationError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Fills `directory` (which must not exist yet), in the spare workspace folder of its run's
    /// folder when there is one (StateFolder.makeSpareRun).
    func prepare(_ directory: String) throws(PreparationError) {
        StateFolder.Spare.take(StateFolder.Spare.workspace, as: directory)
        switch self {
        case .commit(let gitDirectory, let commit):
            do {
                // One Repository per job: libgit2 handles must not be shared between threads.
                let repository = try Repository.open(gitDirectory)
                try repository.checkout(commit, into: directory)
            } catch {
                throw PreparationError(description: "cannot check out \(commit.short): \(error)")
            }
        case .workingTree(let root, let files):
            let manager = FileManager.default
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                var madeFolders = Set<String>()
                for file in files {
                    let target = directory + "/" + file
                    let parent = (target as NSString).deletingLastPathComponent
                    if madeFolders.insert(parent).inserted {
                        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
                    }
                    // copyItem keeps symbolic links as links and keeps the executable bit.
                    try manager.copyItem(atPath: root + "/" + file, toPath: target)
                }
            } catch {
                throw PreparationError(description: "cannot copy the working tree: \((error as NSError).localizedDescription)")
            }
        }
    }
}
