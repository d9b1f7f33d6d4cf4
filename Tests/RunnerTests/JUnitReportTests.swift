import Foundation
import Runner
import Store
import Testing
import TestSupport

/// JUnit reports as the common writers produce them (fixtures in Fixtures/junit, one per
/// writer), and the bad ones a job may leave: read with Foundation's XML parser, never a crash.
@Suite struct JUnitReportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/junit")

    static func parse(_ name: String) throws -> [TestCase] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try JUnitReport.parse(data)
    }

    static func byName(_ cases: [TestCase]) -> [String: TestCase] {
        Dictionary(cases.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func pytest() throws {
        let cases = try Self.parse("pytest.xml")
        #expect(cases.map(\.name) == ["test_register", "test_call_order[reversed]", "test_windows_only", "test_tmpdir", "test_output"])
        let named = Self.byName(cases)
        #expect(named["test_register"] == TestCase(suite: "tests.test_hooks", name: "test_register", status: .passed, durationMs: 2))
        let failed = try #require(named["test_call_order[reversed]"])
        #expect(failed.status == .failed)
        #expect(failed.durationMs == 13)
        #expect(failed.message == "AssertionError: assert [2, 1] == [1, 2]\n  At index 0 diff: 2 != 1")
        #expect(named["test_windows_only"]?.status == .skipped)
        #expect(named["test_windows_only"]?.message == "requires Windows")
        #expect(named["test_tmpdir"]?.status == .error)
        #expect(named["test_tmpdir"]?.suite == "tests.test_fixtures")
        #expect(named["test_tmpdir"]?.message?.hasPrefix("failed on setup with \"OSError") == true)
        // Captured output is not a message, and does not change the outcome.
        #expect(named["test_output"]?.status == .passed)
        #expect(named["test_output"]?.message == nil)
        #expect(NoteRecord.TestCounts(counting: cases) == NoteRecord.TestCounts(passed: 2, failed: 1, skipped: 1, errors: 1))
    }

    @Test func swiftXunitOutput() throws {
        let cases = try Self.parse("swift-xunit.xml")
        #expect(cases.count == 3)
        #expect(cases.map(\.suite) == ["GitKitTests.NotesWriteTests", "GitKitTests.NotesWriteTests", "GitKitTests.TreePathTests"])
        #expect(cases.map(\.status) == [.passed, .failed, .passed])
        #expect(cases[1].message == "XCTAssertEqual failed: (\"1199\") is not equal to (\"1200\")")
        #expect(cases.map(\.durationMs) == [5, 13, 3])
    }

    @Test func mavenSurefire() throws {
        let cases = try Self.parse("surefire.xml")
        let named = Self.byName(cases)
        #expect(cases.count == 4)
        #expect(named["addsNumbers"]?.status == .passed)
        // Surefire writes thousands with a comma.
        #expect(named["dividesByZero"]?.durationMs == 1_230_004)
        #expect(named["dividesByZero"]?.message == "expected: <Infinity> but was: <NaN>")
        // An error without a message attribute: the start of its text (CDATA).
        #expect(named["parsesInput"]?.status == .error)
        #expect(named["parsesInput"]?.message?.hasPrefix("java.lang.NullPointerException: Cannot invoke") == true)
        #expect(named["slowPath"]?.status == .skipped)
        #expect(named["slowPath"]?.message == "@Disabled: too slow on CI")
        #expect(Set(cases.map(\.suite)) == ["com.example.app.CalculatorTest"])
    }

    @Test func jestJunit() throws {
        let cases = try Self.parse("jest-junit.xml")
        #expect(cases.map(\.status) == [.passed, .failed, .skipped])
        #expect(cases[1].message?.hasPrefix("Error: expect(jest.fn()).toHaveBeenCalledTimes(expected)\n\nExpected number of calls: 1") == true)
        #expect(cases[2].message == nil)
        #expect(cases[0].suite == "Button renders the label")
    }

    @Test func goJunitReport() throws {
        let cases = try Self.parse("go-junit-report.xml")
        #expect(cases.map(\.name) == ["TestOpen", "TestWrite/concurrent", "TestNetwork", "TestMain", "[build failed]"])
        #expect(cases.map(\.status) == [.passed, .failed, .skipped, .passed, .error])
        #expect(cases[1].message == "Failed")
        #expect(cases[1].durationMs == 400)
        #expect(cases[4].suite == "example.com/app/cmd")
        #expect(cases[4].message == "Build error")
    }

    @Test func casesWithoutClassNameTakeTheirSuite() throws {
        let cases = try Self.parse("nested-no-classname.xml")
        #expect(cases.map(\.suite) == ["inner", "outer"])
        #expect(cases[1].message == "boom\nsecond line")
        #expect(cases.map(\.durationMs) == [500, 250])
    }

    @Test(arguments: [
        ("not xml at all, just a log line\n", "not well-formed XML"),
        ("<testsuite><testcase name=\"a\"></testsuite>", "is not closed"),
        ("<?xml version=\"1.0\"?><testsuites><testsuite name=\"a\"><testcase name=\"x\"", "cut short"),
        ("<?xml version=\"1.0\"?><testsuites><testsuite name=\"a\"><testcase name=\"x\"/>", "cut short: <testsuite> is not closed"),
        ("<html><body>502 Bad Gateway</body></html>", "not a JUnit report"),
        ("", "an empty file"),
    ])
    func badReportsAreErrorsNotCrashes(text: String, expected: String) {
        #expect {
            try JUnitReport.parse(Data(text.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func longMessagesAreCapped() throws {
        let long = String(repeating: "x", count: 50_000)
        let cases = try JUnitReport.parse(Data("<testsuite><testcase name=\"t\"><failure>\(long)</failure></testcase></testsuite>".utf8))
        let message = try #require(cases.first?.message)
        #expect(message.count == JUnitReport.maximumMessage + 1)
        #expect(message.hasSuffix("…"))
    }

    // MARK: - Collecting a job's reports

    @Test func collectorWarnsAboutWhatItCannotReadAndKeepsTheRest() throws {
        let workspace = TemporaryDirectory("gitci-junit-ws")
        let outside = TemporaryDirectory("gitci-junit-outside")
        try FileManager.default.createDirectory(atPath: workspace.url("reports/sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("pytest.xml").path, toPath: workspace.url("reports/sub/a.xml"))
        try "<testsuite><testcase name=\"cut".write(toFile: workspace.url("reports/truncated.xml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("go-junit-report.xml").path, toPath: outside.url("go.xml"))
        try FileManager.default.createSymbolicLink(atPath: workspace.url("reports/escape.xml"), withDestinationPath: outside.url("go.xml"))
        // Sparse: over the limit on disk size, without writing 50 MB.
        _ = try Shell.run(["truncate", "-s", "51M", workspace.url("reports/huge.xml")])

        let outcome = JUnitCollector.collect(["reports/**/*.xml", "none/*.xml", "../*.xml"], workspace: workspace.path)
        #expect(outcome.cases.count == 5)
        let warnings = outcome.warnings.joined(separator: "\n")
        #expect(warnings.contains("reports/truncated.xml: cut short"), "\(warnings)")
        #expect(warnings.contains("reports/huge.xml: 53477376 bytes, over the 50 MB"), "\(warnings)")
        #expect(warnings.contains("reports/escape.xml is a symbolic link to outside the workspace"), "\(warnings)")
        #expect(warnings.contains("'none/*.xml' matched no report"), "\(warnings)")
        #expect(warnings.contains("'../*.xml' leaves the workspace"), "\(warnings)")
        #expect(outcome.messages.contains("junit: read reports/sub/a.xml: 5 test case(s)"))
    }
}
