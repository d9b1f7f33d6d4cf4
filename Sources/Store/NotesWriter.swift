public import GitKit

/// Writes results into `refs/notes/gitci`: every record of one call lands in one notes commit.
public enum NotesWriter {
    /// Appends `records` to the notes of their commits and returns the new notes commit.
    @discardableResult
    public static func append(_ records: [(commit: ObjectID, record: NoteRecord)], in repository: Repository,
                              message: String) throws(StoreError) -> ObjectID? {
        guard !records.isEmpty else { return nil }
        var texts: [ObjectID: [String]] = [:]
        var order: [ObjectID] = []
        for (commit, record) in records {
            if texts[commit] == nil { order.append(commit) }
            texts[commit, default: []].append(record.line())
        }
        let appends = order.map { NoteAppend(commit: $0, text: texts[$0]!.joined(separator: "\n") + "\n") }
        do {
            return try repository.appendNotes(appends, ref: ResultIndex.notesRef, message: message)
        } catch {
            throw StoreError("cannot write the results to \(ResultIndex.notesRef): \(error.message)")
        }
    }
}
