import Foundation

/// One test case's outcome, as a JUnit report gives it.
public struct TestCase: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case passed, failed, skipped, error

        /// Whether the case counts against its code (`failed` and `error`).
        public var isFailure: Bool { self == .failed || self == .error }
    }

    /// The class name, or the enclosing suite's name when the case has none.
    public var suite: String
    public var name: String
    public var status: Status
    public var durationMs: Int
    /// The failure's or error's message (or the skip's reason), capped (JUnitReport caps it).
    public var message: String?

    public init(suite: String, name: String, status: Status, durationMs: Int, message: String? = nil) {
        self.suite = suite
        self.name = name
        self.status = status
        self.durationMs = durationMs
        self.message = message
    }
}

extension NoteRecord.TestCounts {
    /// The counts of `cases`; nil when there are none (a job without `junit:` or whose reports
    /// held no case).
    public init?(counting cases: [TestCase]) {
        guard !cases.isEmpty else { return nil }
        var counts = [TestCase.Status: Int]()
        for test in cases { counts[test.status, default: 0] += 1 }
        self.init(passed: counts[.passed] ?? 0, failed: counts[.failed] ?? 0, skipped: counts[.skipped] ?? 0,
                  errors: counts[.error] ?? 0)
    }
}

/// One line of a `refs/notes/gitci-tests` note: one case of one job run.
///
/// Per-case results live in a notes ref of their own, next to `refs/notes/gitci`, so that a clone
/// that fetches `refs/notes/*` has them and `gitci reindex` rebuilds the tests' index from git
/// alone, while `gitci status` and `git log --notes=gitci` stay small. Like the job records, each
/// line is self-contained: it names its job and run (`pipeline`, `started`), so that
/// `git notes merge -s cat_sort_uniq` of two servers' notes is safe and a reader takes the
/// newest run of each job (TestRun.isNewer) without relying on line order.
public struct TestCaseLine: Sendable, Hashable, Codable {
    public static let currentVersion = 1

    public var v: Int
    public var job: String
    /// The pipeline run (its run id) and the job's start, ISO 8601 UTC: the run's identity.
    public var pipeline: String
    public var started: String
    public var suite: String
    public var name: String
    public var status: String
    public var durationMs: Int
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case v, job, pipeline, started, suite, name, status, message
        case durationMs = "duration_ms"
    }

    public init(job: String, pipeline: String, started: String, test: TestCase) {
        v = Self.currentVersion
        self.job = job
        self.pipeline = pipeline
        self.started = started
        suite = test.suite
        name = test.name
        status = test.status.rawValue
        durationMs = test.durationMs
        message = test.message
    }

    /// The case, when its status is one this gitci knows (a newer one's is kept as a failure:
    /// it did not pass).
    public var testCase: TestCase {
        TestCase(suite: suite, name: name, status: TestCase.Status(rawValue: status) ?? .failed, durationMs: durationMs,
                 message: message)
    }

    /// The line, keys sorted, no newline inside. Written by hand rather than with JSONEncoder:
    /// a report of 10,000 cases becomes 10,000 lines, and the encoder's generic machinery cost
    /// more than the rest of the note's write.
    public func line() -> String {
        var out = "{\"duration_ms\":\(durationMs),\"job\":"
        out.reserveCapacity(160 + suite.utf8.count + name.utf8.count + (message?.utf8.count ?? 0))
        JSONText.append(job, to: &out)
        if let message {
            out += ",\"message\":"
            JSONText.append(message, to: &out)
        }
        out += ",\"name\":"
        JSONText.append(name, to: &out)
        out += ",\"pipeline\":"
        JSONText.append(pipeline, to: &out)
        out += ",\"started\":"
        JSONText.append(started, to: &out)
        out += ",\"status\":"
        JSONText.append(status, to: &out)
        out += ",\"suite\":"
        JSONText.append(suite, to: &out)
        out += ",\"v\":\(v)}"
        return out
    }

    /// The lines of a note's bytes that are case lines of this version; the others (written by
    /// hand, by a newer gitci) are counted in `skipped`.
    public static func parse(bytes: [UInt8]) -> (lines: [TestCaseLine], skipped: Int) {
        var lines: [TestCaseLine] = []
        var skipped = 0
        let decoder = JSONDecoder()
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            while start < buffer.count {
                let end = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) ?? buffer.count
                defer { start = end + 1 }
                var low = start, high = end
                while low < high, buffer[low] == 0x20 || buffer[low] == 0x0D || buffer[low] == 0x09 { low += 1 }
                while high > low, buffer[high - 1] == 0x20 || buffer[high - 1] == 0x0D || buffer[high - 1] == 0x09 { high -= 1 }
                guard low < high else { continue }
                let bytes = UnsafeBufferPointer(rebasing: buffer[low..<high])
                guard bytes[0] == UInt8(ascii: "{"),
                      let line = CanonicalLine.read(bytes) ?? (try? decoder.decode(TestCaseLine.self, from: Data(bytes))),
                      line.v == currentVersion, !line.job.isEmpty else {
                    skipped += 1
                    continue
                }
                lines.append(line)
            }
        }
        return (lines, skipped)
    }
}

/// A fast way back for the lines exactly as `TestCaseLine.line()` writes them when none of their
/// strings needed an escape (the usual case): a rebuild reads a million of them, and the JSON
/// decoder spends most of a report's ingest on them. Anything else (an escape, another key
/// order, a line from another tool) gives nil, and the JSON decoder reads it.
enum CanonicalLine {
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> TestCaseLine? {
        var position = 0
        func expect(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            let matches = literal.withUTF8Buffer { text in
                memcmp(text.baseAddress!, bytes.baseAddress! + position, count) == 0
            }
            if matches { position += count }
            return matches
        }
        func integer() -> Int? {
            var value = 0
            let start = position
            while position < bytes.count, (0x30...0x39).contains(bytes[position]), position - start < 12 {
                value = value * 10 + Int(bytes[position] - 0x30)
                position += 1
            }
            return position > start ? value : nil
        }
        /// A string without escapes or control characters, after its opening quote.
        func string() -> String? {
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    return String(validating: UnsafeBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                position += 1
            }
            return nil
        }
        guard expect("{\"duration_ms\":"), let duration = integer(),
              expect(",\"job\":\""), let job = string() else { return nil }
        var message: String?
        if expect(",\"message\":\"") {
            guard let text = string() else { return nil }
            message = text
        }
        guard expect(",\"name\":\""), let name = string(),
              expect(",\"pipeline\":\""), let pipeline = string(),
              expect(",\"started\":\""), let started = string(),
              expect(",\"status\":\""), let status = string(),
              expect(",\"suite\":\""), let suite = string(),
              expect(",\"v\":"), let version = integer(), expect("}"), position == bytes.count else { return nil }
        var line = TestCaseLine(job: job, pipeline: pipeline, started: started,
                                test: TestCase(suite: suite, name: name, status: .passed, durationMs: duration, message: message))
        line.status = status
        line.v = version
        return line
    }
}

/// JSON string literals, for the lines written by hand.
enum JSONText {
    static func append(_ string: String, to out: inout String) {
        out.append("\"")
        var plain = true
        for byte in string.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            out.append(string)
        } else {
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}

/// Which run of a job a case line belongs to; the newest run of each job is a commit's answer.
public struct TestRun: Sendable, Hashable, Comparable {
    public let started: String
    public let pipeline: String
    public let job: String

    public init(started: String, pipeline: String, job: String) {
        self.started = started
        self.pipeline = pipeline
        self.job = job
    }

    /// Later start first (ISO 8601 UTC with a fixed width sorts as text), then the greater run
    /// id: a total order, whatever order the lines come in.
    public static func < (lhs: TestRun, rhs: TestRun) -> Bool {
        (Timestamp.parse(lhs.started) ?? 0, lhs.pipeline, lhs.job) < (Timestamp.parse(rhs.started) ?? 0, rhs.pipeline, rhs.job)
    }
}
