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
        parse(bytes: Array(text.utf8), commit: commit)
    }

    /// The same from a note blob's bytes (invalid UTF-8 reads as U+FFFD). Lines are cut and
    /// trimmed on the bytes: a reindex reads 100,000 notes, and Foundation's trimming of a
    /// `String` costs more than the rest of the line's way into the index together.
    static func parse(bytes: [UInt8], commit: String) -> (records: [NoteRecord], lines: [String], warnings: [NoteWarning]) {
        var records: [NoteRecord] = []
        var lines: [String] = []
        var warnings: [NoteWarning] = []
        let decoder = JSONDecoder()
        var lineNumber = 0
        var start = 0
        // Lines end at the byte "\n", as in git: a CRLF line end leaves "\r", trimmed below.
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            defer { start = end + 1 }
            var low = start, high = end
            while low < high, isASCIIWhitespace(bytes[low]) { low += 1 }
            while high > low, isASCIIWhitespace(bytes[high - 1]) { high -= 1 }
            if low == high { continue }
            var line = String(decoding: bytes[low..<high], as: UTF8.self)
            if bytes[low] >= 0x80 || bytes[high - 1] >= 0x80 {
                // Whitespace beyond ASCII (U+00A0, U+2028, ...) at an end: Foundation knows it.
                line = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if line.isEmpty { continue }
            }
            let index = lineNumber - 1
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

    /// What `.whitespacesAndNewlines` holds below 0x80: tab, line feed, vertical tab, form
    /// feed, carriage return and space.
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
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
