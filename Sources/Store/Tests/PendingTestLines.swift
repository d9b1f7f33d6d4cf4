import Foundation
public import GitKit

/// Test case lines that could not be written to `refs/notes/gitci-tests` (a full disk, a broken
/// ref), kept beside the pending job results (PendingResults' folder) until a later write of
/// test cases, or the worker's retry, takes them up: one file per run, one `<commit> <line>` per
/// line.
extension PendingResults {
    static let testsSuffix = ".tests"

    func testsPath(of name: String) -> String {
        (folder as NSString).appendingPathComponent(name + Self.testsSuffix)
    }

    /// Runs whose test cases wait to be written.
    public var testsCount: Int {
        fileNames(endingIn: Self.testsSuffix).count
    }

    func keepTestLines(_ lines: [(commit: ObjectID, line: String)], as name: String) throws(StoreError) {
        try keepText(lines.map { "\($0.commit.hex) \($0.line)\n" }.joined(), at: testsPath(of: name))
    }

    /// Every kept file of test lines, oldest name first.
    func testBatches() -> [(path: String, lines: [(commit: ObjectID, line: String)])] {
        fileNames(endingIn: Self.testsSuffix).compactMap { name in
            let path = (folder as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            let lines = text.split(separator: "\n").compactMap { line -> (commit: ObjectID, line: String)? in
                guard let space = line.firstIndex(of: " "), let commit = ObjectID(hex: String(line[..<space])) else { return nil }
                return (commit, String(line[line.index(after: space)...]))
            }
            return (path, lines)
        }
    }
}

extension TestNotes {
    /// How a write of test cases went.
    public enum Outcome: Sendable {
        case written
        /// Not written; kept in `file` for a later write.
        case kept(StoreError, file: String)
        /// Neither written nor kept: they are lost, and the caller says so.
        case lost(StoreError)
    }

    /// Writes `runs`' cases together with those kept by earlier writes that failed; when the
    /// notes cannot take them, keeps them under `name` (a run id) in `pending`.
    public static func append(_ runs: [Run], in repository: Repository, message: String, pending: PendingResults,
                              name: String) -> Outcome {
        let fresh = lines(of: runs)
        return pending.locked {
            let kept = pending.testBatches()
            do throws(StoreError) {
                try NotesWriter.append(lines: kept.flatMap(\.lines) + fresh, to: ref, in: repository, message: message)
                for batch in kept { unlink(batch.path) }
                return .written
            } catch {
                guard !fresh.isEmpty else { return .kept(error, file: pending.folder) }
                do throws(StoreError) {
                    try pending.keepTestLines(fresh, as: name)
                    return .kept(error, file: pending.testsPath(of: name))
                } catch let keeping {
                    return .lost(StoreError("\(error.message); \(keeping.message)"))
                }
            }
        }
    }
}
