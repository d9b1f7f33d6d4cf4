import Foundation
import Store
import Testing

/// The note line format: what one JSON line holds and how it reads back.
@Suite struct NoteRecordTests {
    /// A record with every field set, and values chosen to trip an encoder: newlines, quotes,
    /// slashes, non-ASCII, a tab.
    static func fullRecord() -> NoteRecord {
        var record = NoteRecord(kind: .job, pipeline: "20261125-083000-3fa2", job: "test (python=3.12)", status: "failed",
                                started: Date(timeIntervalSince1970: 1_790_000_000.125), durationMs: 4321)
        record.stage = "test"
        record.exitCode = 2
        record.node = "büild-01"
        record.branch = "feature/x"
        record.tree = String(repeating: "a", count: 40)
        record.config = String(repeating: "b", count: 40)
        record.matrix = ["python": "3.12", "os": "linux\nmusl"]
        record.allowFailure = true
        record.reason = "step 'exit 2' failed (exit status 2)\nsecond line\r\n\"quoted\"\ttab"
        record.errors = [".gitci.yml:3:5: unknown key 'stpes'\n", "line two"]
        record.log = "/srv/git/app.git/gitci/logs/run/01-test.log"
        record.repos = ["shared-lib": String(repeating: "c", count: 40)]
        record.cacheKey = "key\nwith newline"
        record.reusedFrom = String(repeating: "d", count: 40)
        record.tests = .init(passed: 10, failed: 1, skipped: 2)
        record.artifacts = [.init(name: "dist/app.whl", size: 12, sha256: String(repeating: "e", count: 64)),
                            .init(name: "docs/\n", size: 0, sha256: String(repeating: "f", count: 64))]
        return record
    }

    @Test func aRecordSurvivesItsOwnLine() throws {
        let record = Self.fullRecord()
        let line = record.line()
        let decoded = try JSONDecoder().decode(NoteRecord.self, from: Data(line.utf8))
        #expect(decoded == record)
    }

    @Test func newlinesInValuesNeverBreakTheLine() throws {
        let line = Self.fullRecord().line()
        #expect(!line.contains("\n"))
        #expect(!line.contains("\r"))
        #expect(line.hasPrefix("{") && line.hasSuffix("}"))
        // Read back as a note, it is one record with the newlines restored.
        let results = CommitResults(commit: String(repeating: "1", count: 40), text: line + "\n")
        let record = try #require(results.allRecords.first)
        #expect(results.allRecords.count == 1)
        #expect(record.reason == Self.fullRecord().reason)
        #expect(record.matrix?["os"] == "linux\nmusl")
    }

    @Test func keysAreTheOnesOfTheNoteFormat() throws {
        let line = Self.fullRecord().line()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let expected: Set = ["v", "kind", "pipeline", "job", "stage", "status", "started", "duration_ms", "exit_code",
                             "node", "branch", "tree", "config", "matrix", "allow_failure", "reason", "errors", "log",
                             "repos", "cache_key", "reused_from", "tests", "artifacts"]
        #expect(Set(object.keys) == expected)
        #expect(object["v"] as? Int == 1)
        #expect(object["kind"] as? String == "job")
        #expect(object["duration_ms"] as? Int == 4321)
        #expect(object["started"] as? String == "2026-09-21T14:13:20.125Z")
        // Sorted keys: the same record always makes the same line, so cat_sort_uniq dedupes it.
        #expect(line == Self.fullRecord().line())
        #expect(line.hasPrefix("{\"allow_failure\":true,"))
    }

    @Test func absentValuesAreLeftOut() throws {
        let record = NoteRecord(kind: .pipeline, pipeline: "run", status: "passed",
                                started: Date(timeIntervalSince1970: 0), durationMs: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(record.line().utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["v", "kind", "pipeline", "status", "started", "duration_ms"])
    }

    @Test func artifactsAreObjectsWithNameSizeAndSHA256() throws {
        let line = Self.fullRecord().line()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let artifacts = try #require(object["artifacts"] as? [[String: Any]])
        #expect(artifacts.count == 2)
        #expect(Set(artifacts[0].keys) == ["name", "size", "sha256"])
        #expect(artifacts[0]["name"] as? String == "dist/app.whl")
        #expect(artifacts[0]["size"] as? Int == 12)
    }

    /// Notes written before artifacts were objects held names: the record still reads, without them.
    @Test func oldStyleArtifactsAreIgnoredNotFatal() throws {
        let base = #"{"v":1,"kind":"job","pipeline":"r","job":"a","status":"passed","started":"2026-01-01T00:00:00.000Z","duration_ms":5,"artifacts":"#
        let old = try JSONDecoder().decode(NoteRecord.self, from: Data((base + #"["dist/a.whl"]}"#).utf8))
        #expect(old.job == "a")
        #expect(old.artifacts == nil)
        let odd = try JSONDecoder().decode(NoteRecord.self, from: Data((base + #"{"x":1}}"#).utf8))
        #expect(odd.artifacts == nil)
        let sha = String(repeating: "a", count: 64)
        let mixed = try JSONDecoder().decode(NoteRecord.self, from: Data((base + #"["old",{"name":"n","size":3,"sha256":""# + sha + #""}]}"#).utf8))
        #expect(mixed.artifacts == [.init(name: "n", size: 3, sha256: sha)])
    }

    @Test func keysFromANewerGitciAreIgnored() throws {
        let line = #"{"v":1,"kind":"job","pipeline":"r","job":"a","status":"passed","started":"2026-01-01T00:00:00.000Z","duration_ms":5,"new_key":{"x":[1,2]}}"#
        let record = try JSONDecoder().decode(NoteRecord.self, from: Data(line.utf8))
        #expect(record.job == "a")
        #expect(record.durationMs == 5)
    }

    @Test func finishedIsStartPlusDuration() {
        let record = NoteRecord(kind: .job, pipeline: "r", job: "a", status: "passed",
                                started: Date(timeIntervalSince1970: 1000.5), durationMs: 2250)
        #expect(record.finished == 1002.75)
    }

    @Test func timestampsAreISO8601InUTCWithMilliseconds() throws {
        let date = Date(timeIntervalSince1970: 1_764_108_977.125)
        #expect(Timestamp.format(date) == "2025-11-25T22:16:17.125Z")
        let parsed = try #require(Timestamp.parse("2025-11-25T22:16:17.123Z"))
        #expect(abs(parsed - 1_764_108_977.123) < 0.0005)
        // Written by hand or another tool: no fraction, or an offset.
        #expect(Timestamp.parse("2025-11-25T22:16:17Z") == 1_764_108_977)
        #expect(Timestamp.parse("2025-11-26T00:16:17+02:00") == 1_764_108_977)
        #expect(Timestamp.parse("yesterday") == nil)
        #expect(Timestamp.parse("") == nil)
    }
}
