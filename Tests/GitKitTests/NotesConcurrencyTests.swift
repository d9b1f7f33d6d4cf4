import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct NotesConcurrencyTests {
    /// 8 processes race for one notes ref, each with its own 200 commits, one notes commit per
    /// note. git_note_create loses most of them (FACTS.md); compare-and-swap must keep all 1600.
    @Test func eightProcessesWritingAtOnceLoseNothing() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let writers = 8, perWriter = 200
        let binary = BuiltProduct.path("gitkit-stress")
        var processes: [(Process, URL)] = []
        for writer in 0..<writers {
            let targets = (0..<perWriter).map { fakeCommit("writer \(writer) note \($0)").hex }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [fixture.path, notesRef, "w\(writer)"] + targets
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
            let errors = URL(fileURLWithPath: fixture.directory.url("stress-\(writer).err"))
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            process.standardOutput = FileHandle.nullDevice
            processes.append((process, errors))
        }
        for (process, _) in processes { try process.run() }
        for (process, errors) in processes {
            let ended = ProcessTable.waitForExit(of: process, timeout: Shell.defaultTimeout)
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            #expect(ended && process.terminationStatus == 0, "\(binary) (ended: \(ended)): \(message)")
        }

        let listed = try fixture.gitNotesList()
        #expect(listed.count == writers * perWriter)
        #expect(try fixture.git(["rev-list", "--count", notesRef]) == "\(writers * perWriter)")
        let repository = try fixture.open()
        let tip = try #require(repository.referenceTarget(notesRef))
        let notes = try repository.notes(at: tip)
        #expect(notes.count == writers * perWriter)
        let sample = fakeCommit("writer 5 note 123")
        #expect(try repository.note(for: sample, ref: notesRef) == #"{"writer":"w5","n":123}"# + "\n")
        #expect(fixture.gitNote(sample) == #"{"writer":"w5","n":123}"#)
    }
}
