import Foundation
import Store

/// How `gitci status` and `gitci run` show a job's test counts.
enum TestCountsText {
    /// `tests: 12 passed, 1 failed, 2 skipped, 0 errors`; nil for a job without reports.
    static func line(_ counts: NoteRecord.TestCounts?) -> String? {
        guard let counts else { return nil }
        return "tests: \(counts.passed) passed, \(counts.failed) failed, \(counts.skipped ?? 0) skipped, \(counts.errors ?? 0) errors"
    }
}

/// `gitci tests`: a commit's cases, one test's history, flaky tests; as text and as the JSON
/// documents of the command-line contract.
enum TestsView {
    // MARK: - One commit

    struct CommitDocument: Encodable {
        struct Entry: Encodable {
            var job: String
            var suite: String
            var name: String
            var status: String
            var durationMs: Int
            var message: String?

            enum CodingKeys: String, CodingKey {
                case job, suite, name, status, message, durationMs = "duration_ms"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(job, forKey: .job)
                try container.encode(suite, forKey: .suite)
                try container.encode(name, forKey: .name)
                try container.encode(status, forKey: .status)
                try container.encode(durationMs, forKey: .durationMs)
                try container.encode(message, forKey: .message)
            }
        }

        var commit: String
        var tests: [Entry]

        init(commit: String, tests: [TestResult]) {
            self.commit = commit
            self.tests = tests.map {
                Entry(job: $0.job, suite: $0.suite, name: $0.name, status: $0.status, durationMs: $0.durationMs, message: $0.message)
            }
        }
    }

    /// Failures first with their messages, then the others, then a summary line.
    static func render(commit: String, subject: String?, tests: [TestResult], total: [TestResult], terminal: Terminal) -> String {
        var lines = [terminal.paint(String(commit.prefix(10)), .yellow) + (subject.map { " \($0)" } ?? "")]
        let jobs = Set(total.map(\.job)).count
        for test in tests {
            let status = test.status.padding(toLength: 8, withPad: " ", startingAt: 0)
            let job = jobs > 1 ? "[\(test.job)] " : ""
            lines.append("  \(terminal.paint(status, StatusColor.of(test.isFailure ? "failed" : test.status))) \(job)\(printable(TestName(suite: test.suite, name: test.name).description))  \(Duration.format(milliseconds: test.durationMs))")
            if test.isFailure, let message = test.message {
                for line in message.split(separator: "\n", omittingEmptySubsequences: true).prefix(5) {
                    lines.append("      " + printable(String(line)))
                }
            }
        }
        lines.append(summary(total))
        return lines.joined(separator: "\n") + "\n"
    }

    static func summary(_ tests: [TestResult]) -> String {
        var counts: [String: Int] = [:]
        for test in tests { counts[test.status, default: 0] += 1 }
        return "\(tests.count) tests: \(counts["passed"] ?? 0) passed, \(counts["failed"] ?? 0) failed, "
            + "\(counts["error"] ?? 0) errors, \(counts["skipped"] ?? 0) skipped"
    }

    /// A name or message as one line of a terminal: control characters (a newline in a test's
    /// name, an escape sequence) are shown escaped, never interpreted.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            guard scalar.value < 0x20 || scalar.value == 0x7F else { return [scalar] }
            return Array(scalar.escaped(asASCII: true).unicodeScalars)
        }))
    }

    // MARK: - One test's history

    struct HistoryDocument: Encodable {
        struct Entry: Encodable {
            var commit: String
            var subject: String
            var job: String
            var status: String
            var durationMs: Int
            var message: String?

            enum CodingKeys: String, CodingKey {
                case commit, subject, job, status, message, durationMs = "duration_ms"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(commit, forKey: .commit)
                try container.encode(subject, forKey: .subject)
                try container.encode(job, forKey: .job)
                try container.encode(status, forKey: .status)
                try container.encode(durationMs, forKey: .durationMs)
                try container.encode(message, forKey: .message)
            }
        }

        var branch: String
        var suite: String
        var name: String
        var history: [Entry]
    }

    static func render(_ document: HistoryDocument, terminal: Terminal) -> String {
        var lines = ["\(printable(TestName(suite: document.suite, name: document.name).description)) on \(document.branch), newest first:"]
        for entry in document.history {
            let status = entry.status.padding(toLength: 8, withPad: " ", startingAt: 0)
            let time = Duration.format(milliseconds: entry.durationMs).padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append("  \(terminal.paint(String(entry.commit.prefix(10)), .yellow)) \(terminal.paint(status, StatusColor.of(entry.status == "error" ? "failed" : entry.status))) \(time) \(printable(entry.job))  \(printable(entry.subject))")
        }
        if document.history.isEmpty { lines.append("  no recorded run on this branch") }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Flaky tests

    struct FlakyDocument: Encodable {
        struct Entry: Encodable {
            var job: String
            var suite: String
            var name: String
            var tree: String
            var passedOn: [String]
            var failedOn: [String]

            enum CodingKeys: String, CodingKey {
                case job, suite, name, tree, passedOn = "passed_on", failedOn = "failed_on"
            }
        }

        var flaky: [Entry]

        init(_ tests: [FlakyTest]) {
            flaky = tests.map { Entry(job: $0.job, suite: $0.suite, name: $0.name, tree: $0.tree, passedOn: $0.passedOn, failedOn: $0.failedOn) }
        }
    }

    static func render(_ tests: [FlakyTest], scope: String, terminal: Terminal) -> String {
        guard !tests.isEmpty else { return "no flaky tests \(scope): no test both passed and failed on the same tree\n" }
        var lines = ["\(tests.count) flaky test(s) \(scope) (passed and failed on the same tree):"]
        for test in tests {
            lines.append("  \(printable(TestName(suite: test.suite, name: test.name).description))  job \(printable(test.job)), tree \(test.tree.prefix(10))")
            lines.append("    " + terminal.paint("passed", .green) + " on " + test.passedOn.map { String($0.prefix(10)) }.joined(separator: ", "))
            lines.append("    " + terminal.paint("failed", .red) + " on " + test.failedOn.map { String($0.prefix(10)) }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
