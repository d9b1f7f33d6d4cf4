import Foundation
import GitKit
import Store
import Testing
import TestSupport

/// The index reads a note's bytes line by line as git wrote them: any line end, whitespace at
/// either end (ASCII or not), blank lines, bytes that are not UTF-8.
@Suite struct NoteBytesTests {
    @Test func linesAreCutAndTrimmedAsTextWouldBe() throws {
        let setup = try IndexedRepository()
        let records = [Records.job("compile", "passed", at: 1000), Records.job("unit", "failed", at: 1001),
                       Records.pipeline("failed", at: 1000, ms: 5000)]
        var bytes = Array(("  " + records[0].line() + "\r\n\n").utf8)
        bytes += Array(("\u{00A0}" + records[1].line() + " \u{2028}\n").utf8)
        bytes += [0xFF] + Array(" not a record\n".utf8)
        bytes += Array(("\t" + records[2].line()).utf8)  // no line end at the end
        let file = setup.fixture.directory.url("note.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let blob = try setup.fixture.git(["hash-object", "-w", file]).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try setup.fixture.git(["notes", "--ref=gitci", "add", "-C", blob, setup.commits[0]])

        var messages: [String] = []
        let index = try setup.openIndex(try setup.repository(), messages: &messages)
        let results = try index.results(of: try setup.id(setup.commits[0]))
        #expect(results.allRecords == records)
        #expect(results.status == "failed")
        let warnings = messages.filter { $0.contains("warning") }
        #expect(warnings.count == 1, "\(messages)")
        #expect(warnings.first?.contains("line 4: not a JSON object") == true, "\(messages)")
    }
}
