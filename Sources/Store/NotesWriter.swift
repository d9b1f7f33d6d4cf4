import Foundation
public import GitKit

/// Writes results into `refs/notes/gitci`: every record of one call lands in one notes commit.
public enum NotesWriter {
    /// Appends `records` to the notes of their commits and returns the new notes commit.
    @discardableResult
    public static func append(_ records: [(commit: ObjectID, record: NoteRecord)], in repository: Repository,
                              message: String) throws(StoreError) -> ObjectID? {
        try append(lines: stampingAttempts(records, in: repository).map { ($0.commit, $0.record.line()) },
                   to: ResultIndex.notesRef, in: repository, message: message)
    }

    /// Appends one-line texts to the notes of their commits under `ref` (`refs/notes/gitci`,
    /// `refs/notes/gitci-tests`): all in one notes commit, written with the fan-out and moved by
    /// compare-and-swap (Repository.appendNotes). Returns the new notes commit, nil when there
    /// was nothing to write.
    @discardableResult
    public static func append(lines: [(commit: ObjectID, line: String)], to ref: String, in repository: Repository,
                              message: String) throws(StoreError) -> ObjectID? {
        guard !lines.isEmpty else { return nil }
        var texts: [ObjectID: [String]] = [:]
        var order: [ObjectID] = []
        for (commit, line) in lines {
            if texts[commit] == nil { order.append(commit) }
            texts[commit, default: []].append(line)
        }
        let appends = order.map { NoteAppend(commit: $0, text: texts[$0]!.joined(separator: "\n") + "\n") }
        do {
            return try repository.appendNotes(appends, ref: ref, message: message)
        } catch {
            throw StoreError("cannot write the results to \(ref): \(error.message)")
        }
    }

    /// Gives each run's records that have no attempt yet the next attempt of their commit: one
    /// more than the highest its note holds (successive runs of one write get successive ones),
    /// so that the run written last is the commit's result whatever the clocks say
    /// (NoteRecord.supersedes). Stamped here, where every result is written, and not when a run
    /// ends: results kept pending while the notes could not be written come after the runs
    /// written meanwhile.
    static func stampingAttempts(_ records: [(commit: ObjectID, record: NoteRecord)],
                                 in repository: Repository) -> [(commit: ObjectID, record: NoteRecord)] {
        var next: [ObjectID: Int] = [:]
        var assigned: [ObjectID: [String: Int]] = [:]
        return records.map { entry in
            guard entry.record.attempt == nil else { return entry }
            let commit = entry.commit
            if next[commit] == nil {
                let text = (try? repository.note(for: commit, ref: ResultIndex.notesRef)) ?? nil
                next[commit] = text.map { CommitResults(commit: commit.hex, text: $0).nextAttempt } ?? 1
            }
            var record = entry.record
            if let attempt = assigned[commit]?[record.pipeline] {
                record.attempt = attempt
            } else {
                record.attempt = next[commit]!
                assigned[commit, default: [:]][record.pipeline] = next[commit]!
                next[commit]! += 1
            }
            return (commit, record)
        }
    }

    /// What became of results handed to `append(_:in:message:pending:name:)`.
    public enum Outcome: Sendable {
        /// In the notes, with every result that was kept pending before.
        case written
        /// Not in the notes (`error` says why), but kept pending in `file`: a later write takes
        /// them up.
        case kept(error: StoreError, file: String)
        /// Neither in the notes nor kept: the caller still holds the only copy.
        case unwritten(error: StoreError)
    }

    /// Appends `records` together with the results earlier writes left in `pending`; when the
    /// notes cannot be written, `records` are kept there under `name` (a run id) instead. With
    /// no `records`, only takes up what is pending.
    public static func append(_ records: [(commit: ObjectID, record: NoteRecord)], in repository: Repository,
                              message: String, pending: PendingResults, name: String) -> Outcome {
        pending.locked { () -> Outcome in
            let held = pending.batches()
            guard !held.isEmpty || !records.isEmpty else { return .written }
            do throws(StoreError) {
                let earlier = held.isEmpty ? "" : " and \(held.count) kept while the notes could not be written"
                try append(held.flatMap(\.records) + records, in: repository, message: message + earlier)
            } catch {
                guard !records.isEmpty else { return .unwritten(error: error) }
                do throws(StoreError) {
                    try pending.keep(records, as: name)
                    return .kept(error: error, file: pending.path(of: name))
                } catch let keeping {
                    return .unwritten(error: StoreError("\(error.message); \(keeping.message)"))
                }
            }
            for batch in held { unlink(batch.path) }
            return .written
        }
    }
}
