import Foundation
import GitKit
import Store
import Testing
import TestSupport

/// refs/notes/gitci-tests: the case lines as git holds them, and the index kept from them
/// (caught up by diffing notes trees, merged notes, removed notes).
@Suite struct TestNotesTests {
    static func run(_ commit: ObjectID, _ pipeline: String, at started: String, _ cases: [(String, TestCase.Status)],
                    job: String = "unit") -> TestNotes.Run {
        TestNotes.Run(commit: commit, job: job, pipeline: pipeline, started: started,
                      cases: cases.map { TestCase(suite: "suite", name: $0.0, status: $0.1, durationMs: 5,
                                                  message: $0.1 == .passed ? nil : "why \($0.0)") })
    }

    @Test func aLineHoldsAnyTextAndReadsBackExactly() throws {
        let names = ["plain", "quote\" backslash\\ slash/", "new\nline\r\ttab\u{0}nul\u{1B}[31m", "<script>alert(1)</script>",
                     "ünïcødé ✓ \u{2028}", String(repeating: "long ", count: 2000)]
        for name in names {
            let line = TestCaseLine(job: "job \"x\"", pipeline: "run", started: "2026-12-07T10:00:00.000Z",
                                    test: TestCase(suite: "s\n", name: name, status: .failed, durationMs: 7, message: name))
            let text = line.line()
            #expect(!text.contains("\n"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["name"] as? String == name)
            #expect(object["message"] as? String == name)
            #expect(object["job"] as? String == "job \"x\"")
            let parsed = TestCaseLine.parse(bytes: Array((text + "\n").utf8))
            #expect(parsed.lines == [line])
            #expect(parsed.skipped == 0)
        }
        // Written by another tool: other key order, spaces, escapes where none were needed.
        let foreign = #"{ "v": 1, "suite": "s", "status": "error", "started": "2026-12-07T10:00:00.000Z", "pipeline": "p", "name": "n\u0041", "job": "j", "duration_ms": 3 }"#
        #expect(TestCaseLine.parse(bytes: Array(foreign.utf8)).lines
            == [TestCaseLine(job: "j", pipeline: "p", started: "2026-12-07T10:00:00.000Z",
                             test: TestCase(suite: "s", name: "nA", status: .error, durationMs: 3))])
        // And gitci's own lines read back as the JSON decoder reads them.
        let own = TestCaseLine(job: "j", pipeline: "p", started: "s", test: TestCase(suite: "ü", name: "n", status: .skipped, durationMs: 0, message: "m"))
        #expect(TestCaseLine.parse(bytes: Array(own.line().utf8)).lines == [try JSONDecoder().decode(TestCaseLine.self, from: Data(own.line().utf8))])
        let mixed = TestCaseLine.parse(bytes: Array("not json\n{\"v\":2}\n\n".utf8))
        #expect(mixed.lines.isEmpty)
        #expect(mixed.skipped == 2)
    }

    @Test func mergedNotesOfTwoMachinesGiveEachJobsNewestRunAndTheFlakyTests() throws {
        let indexed = try IndexedRepository(commits: 1)
        let repository = try indexed.repository()
        let commit = try indexed.id(indexed.commits[0])
        try TestNotes.append([Self.run(commit, "run-a", at: "2026-12-07T10:00:00.000Z", [("t1", .passed), ("t2", .failed)])],
                             in: repository, message: "a")
        // Another machine's notes on the same commit, merged as `gitci sync` or git would.
        try indexed.fixture.git(["update-ref", "refs/notes/other", TestNotes.ref])
        try indexed.fixture.git(["update-ref", "-d", TestNotes.ref])
        try TestNotes.append([Self.run(commit, "run-b", at: "2026-12-07T11:00:00.000Z", [("t1", .passed), ("t2", .passed)])],
                             in: repository, message: "b")
        try indexed.fixture.git(["notes", "--ref=gitci-tests", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/other"])
        #expect(try indexed.fixture.git(["notes", "--ref=gitci-tests", "show", indexed.commits[0]]).split(separator: "\n").count == 4)

        let index = try indexed.openIndex(repository)
        let newest = try index.tests(of: commit)
        #expect(newest.map(\.name) == ["t1", "t2"])
        #expect(newest.allSatisfy { $0.status == "passed" })
        let flaky = try index.flakyTests()
        #expect(flaky.map(\.name) == ["t2"])
        #expect(flaky.first?.passedOn == [commit.hex])
        #expect(flaky.first?.failedOn == [commit.hex])
        #expect(flaky.first?.tree == (try indexed.fixture.git(["rev-parse", "\(commit.hex)^{tree}"]))
            .trimmingCharacters(in: .whitespacesAndNewlines))

        // A note removed behind gitci's back takes its cases, and their flakiness, with it.
        try indexed.fixture.git(["notes", "--ref=gitci-tests", "remove", indexed.commits[0]])
        try index.catchUp(repository)
        #expect(try index.tests(of: commit).isEmpty)
        #expect(try index.flakyTests().isEmpty)
        #expect(try index.testCaseCount() == 0)
    }

    @Test func passingInOneJobAndFailingInAnotherIsNotFlaky() throws {
        let indexed = try IndexedRepository(commits: 1)
        let repository = try indexed.repository()
        let commit = try indexed.id(indexed.commits[0])
        try TestNotes.append([Self.run(commit, "run", at: "2026-12-07T10:00:00.000Z", [("t", .passed)], job: "test (python=3.11)"),
                              Self.run(commit, "run", at: "2026-12-07T10:00:00.000Z", [("t", .failed)], job: "test (python=3.12)")],
                             in: repository, message: "matrix")
        let index = try indexed.openIndex(repository)
        #expect(try index.flakyTests().isEmpty)
        #expect(try index.tests(of: commit).map(\.job) == ["test (python=3.12)", "test (python=3.11)"])
        // A rerun of the failing job that passes makes it flaky there, and only there.
        try TestNotes.append([Self.run(commit, "rerun", at: "2026-12-07T11:00:00.000Z", [("t", .passed)], job: "test (python=3.12)")],
                             in: repository, message: "rerun")
        try index.catchUp(repository)
        #expect(try index.flakyTests().map(\.job) == ["test (python=3.12)"])
    }

    @Test func aRebuildAnswersAsTheCaughtUpIndexDid() throws {
        let indexed = try IndexedRepository(commits: 3)
        let repository = try indexed.repository()
        let index = try indexed.openIndex(repository)
        for (number, hex) in indexed.commits.enumerated() {
            let commit = try indexed.id(hex)
            try TestNotes.append([Self.run(commit, "run-\(number)", at: "2026-12-07T10:0\(number):00.000Z",
                                           [("t1", number == 1 ? .failed : .passed), ("t2", .skipped)], job: "j\(number % 2)")],
                                 in: repository, message: "n")
            try index.catchUp(repository)
        }
        func answers() throws -> [String] {
            try indexed.commits.map { hex in try index.tests(of: indexed.id(hex)).map { "\($0.job) \($0.name) \($0.status) \($0.message ?? "-")" }.joined(separator: ",") }
                + [try index.runs(of: TestName(suite: "suite", name: "t1")).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.map(\.status))" }.joined(separator: ",")]
        }
        let before = try answers()
        #expect(before[1] == "j1 t1 failed why t1,j1 t2 skipped why t2")
        try index.rebuild(repository)
        #expect(try answers() == before)
        #expect(try index.testNames(matching: "suite::t1") == [TestName(suite: "suite", name: "t1")])
        #expect(try index.testNames(matching: "suite.t2") == [TestName(suite: "suite", name: "t2")])
        #expect(try index.testNames(matching: "t2") == [TestName(suite: "suite", name: "t2")])
        #expect(try index.testNames(matching: "nothing").isEmpty)
    }
}
