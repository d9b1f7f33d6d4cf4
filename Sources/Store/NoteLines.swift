import Foundation

/// A note line that is not a record gitci can read, reported and then skipped.
public struct NoteWarning: Sendable, Hashable, CustomStringConvertible {
    public let commit: String
    public let line: Int
    public let reason: String

    public var description: String {
        "gitci: warning: note on \(commit.prefix(10)), line \(line): \(reason); skipped"
    }
}

/// Reads the text of one note into records. Lines written by hand, by another tool or by a
/// future gitci are skipped with a warning; the other lines still count.
enum NoteLines {
    /// The records with the line each was read from (kept as written, so that the index stores
    /// exactly what the note says), and what was skipped.
    static func parse(_ text: String, commit: String) -> (records: [NoteRecord], lines: [String], warnings: [NoteWarning]) {
        var records: [NoteRecord] = []
        var lines: [String] = []
        var warnings: [NoteWarning] = []
        let decoder = JSONDecoder()
        // Split on the "\n" scalar, as git does: a Swift Character "\r\n" is not "\n", so a
        // note with CRLF line ends would otherwise read as one unreadable line.
        for (index, rawLine) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine).trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            func skip(_ reason: String) { warnings.append(NoteWarning(commit: commit, line: index + 1, reason: reason)) }
            guard line.hasPrefix("{") else {
                skip("not a JSON object")
                continue
            }
            let record: NoteRecord
            do {
                record = try decoder.decode(NoteRecord.self, from: Data(line.utf8))
            } catch {
                skip("not a gitci record (\(Self.explain(error)))")
                continue
            }
            guard record.v == NoteRecord.currentVersion else {
                skip("format version \(record.v), this gitci reads version \(NoteRecord.currentVersion)")
                continue
            }
            guard Timestamp.parse(record.started) != nil else {
                skip("'started' is not an ISO 8601 time: \(record.started.prefix(40))")
                continue
            }
            guard record.kind == .pipeline || !(record.job ?? "").isEmpty else {
                skip("a job record without a job name")
                continue
            }
            records.append(record)
            lines.append(line)
        }
        return (records, lines, warnings)
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "invalid JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "unreadable"
        }
    }
}
