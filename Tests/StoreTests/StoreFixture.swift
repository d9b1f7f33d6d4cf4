import Foundation
import Store

/// Records with chosen times, so that "newest" is decided by the test and not by the clock.
enum Records {
    static let commit = String(repeating: "c", count: 40)

    static func job(_ name: String, _ status: String, at seconds: Double, ms: Int = 1000, run: String = "run-1",
                    allowFailure: Bool? = nil, reason: String? = nil) -> NoteRecord {
        var record = NoteRecord(kind: .job, pipeline: run, job: name, status: status,
                                started: Date(timeIntervalSince1970: seconds), durationMs: ms)
        record.allowFailure = allowFailure
        record.reason = reason
        record.exitCode = status == "failed" ? 1 : (status == "passed" ? 0 : nil)
        return record
    }

    static func pipeline(_ status: String, at seconds: Double, ms: Int = 1000, run: String = "run-1",
                         errors: [String]? = nil) -> NoteRecord {
        var record = NoteRecord(kind: .pipeline, pipeline: run, status: status,
                                started: Date(timeIntervalSince1970: seconds), durationMs: ms)
        record.errors = errors
        return record
    }

    /// The note text git would hold for `records`: one line each.
    static func text(_ records: [NoteRecord]) -> String {
        records.map { $0.line() + "\n" }.joined()
    }
}
