public import Foundation
public import GitKit
import Store

/// `gitci gc`: which stored artifacts are still wanted, and the freeing of the others.
///
/// Kept: everything the notes in `refs/notes/gitci` list for the last `keepBuilds` built
/// commits (those with a note) of each branch's first-parent line, and for every tagged commit.
/// An object newer than `minimumAge` is kept whatever the notes say: a run stores its artifacts
/// before its note is written, and its dependent jobs read them meanwhile.
public enum ArtifactRetention {
    public static let defaultKeepBuilds = 10
    /// How far back a branch's line is searched for built commits.
    static let historyLimit = 100_000

    public struct Report: Sendable {
        public var freedFiles = 0
        public var freedBytes: Int64 = 0
        public var keptFiles = 0
    }

    public static func collect(in repository: Repository, keepBuilds: Int, minimumAge: TimeInterval = 3600,
                               now: Date = Date()) throws(GitError) -> Report {
        let live = try wanted(in: repository, keepBuilds: keepBuilds)
        let store = StateFolder(gitCommonDirectory: repository.commonDirectory).artifacts
        var report = Report()
        let cutoff = now.timeIntervalSince1970 - minimumAge
        let manager = FileManager.default
        for folder in ((try? manager.contentsOfDirectory(atPath: store.path)) ?? []).sorted() {
            let folderPath = store.path + "/" + folder
            if folder.hasPrefix(".incoming-") {
                // Left by a run that was killed while storing; a live one is younger than a day.
                if let modified = modificationTime(folderPath), modified < now.timeIntervalSince1970 - 86_400 { unlink(folderPath) }
                continue
            }
            guard folder.utf8.count == 2, let names = try? manager.contentsOfDirectory(atPath: folderPath) else { continue }
            for name in names {
                let path = folderPath + "/" + name
                var status = stat()
                guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
                if live.contains(folder + name) || Double(status.st_mtim.tv_sec) > cutoff {
                    report.keptFiles += 1
                } else if unlink(path) == 0 {
                    report.freedFiles += 1
                    report.freedBytes += Int64(status.st_size)
                }
            }
            rmdir(folderPath)
        }
        return report
    }

    /// The SHA-256 of every artifact that is kept.
    static func wanted(in repository: Repository, keepBuilds: Int) throws(GitError) -> Set<String> {
        guard let notesCommit = repository.referenceTarget(ResultIndex.notesRef) else { return [] }
        let notes = Dictionary(try repository.notes(at: notesCommit).map { ($0.commit, $0.blob) }, uniquingKeysWith: { $1 })
        var live = Set<String>()
        var seen = Set<ObjectID>()
        func keep(_ commit: ObjectID) {
            guard seen.insert(commit).inserted, let blob = notes[commit], let text = try? repository.blobText(blob) else { return }
            for record in CommitResults(commit: commit.hex, text: text).allRecords {
                for artifact in record.artifacts ?? [] { live.insert(artifact.sha256) }
            }
        }
        for branch in repository.branches() {
            var built = 0
            var next: ObjectID? = branch.tip
            var walked = 0
            while let commit = next, built < keepBuilds, walked < historyLimit {
                if notes[commit] != nil {
                    keep(commit)
                    built += 1
                }
                walked += 1
                next = (try? repository.commit(commit))?.parents.first
            }
        }
        for tag in repository.tags() { keep(tag.commit) }
        return live
    }

    static func modificationTime(_ path: String) -> Double? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return Double(status.st_mtim.tv_sec)
    }
}
