import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct NotesChangeTests {
    @Test func reportsAddedChangedAndRemovedNotes() throws {
        let (fixture, commits) = try GitFixture.withCommits(4)
        let repository = try fixture.open()
        let first = try repository.appendNotes([NoteAppend(commit: commits[0], text: "a"),
                                                NoteAppend(commit: commits[1], text: "b")], ref: notesRef, message: "m")
        #expect(try repository.changedNotes(from: nil, to: first).map(\.commitID) == [commits[0], commits[1]].sorted())

        let second = try repository.appendNotes([NoteAppend(commit: commits[1], text: "b2"),
                                                 NoteAppend(commit: commits[2], text: "c")], ref: notesRef, message: "m")
        let changes = try repository.changedNotes(from: first, to: second)
        #expect(Set(changes) == [
            .changed(commit: commits[1], blob: try objectID(try fixture.git(["rev-parse", "\(notesRef):\(fanOut(commits[1]))"]))),
            .changed(commit: commits[2], blob: try objectID(try fixture.git(["rev-parse", "\(notesRef):\(fanOut(commits[2]))"]))),
        ])
        for case .changed(_, let blob) in changes where changes.count == 2 {
            #expect(try repository.blobText(blob).hasSuffix("\n"))
        }
        #expect(try repository.changedNotes(from: second, to: second).isEmpty)

        // git rewrites the tree flat when it removes a note: the moved notes are not changes.
        try fixture.git(["notes", "--ref=gitci", "remove", commits[0].hex])
        #expect(try fixture.notesTreePaths() == [commits[1].hex, commits[2].hex].sorted())
        let third = try objectID(try fixture.git(["rev-parse", notesRef]))
        #expect(try repository.changedNotes(from: second, to: third) == [.removed(commit: commits[0])])
        #expect(try repository.changedNotes(from: third, to: second)
            == [.changed(commit: commits[0], blob: try objectID(try fixture.git(["rev-parse", "\(second.hex):\(fanOut(commits[0]))"])))])
    }

    @Test func aRemovedDuplicateEntryIsAChangeNotARemoval() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let target = fakeCommit("dup")
        let before = try fixture.writeNotesTreeByHand([target.hex: "flat\n", fanOut(target): "fanned\n"])
        let repository = try fixture.open()
        let after = try repository.appendNotes([NoteAppend(commit: target, text: "more")], ref: notesRef, message: "m")
        let changes = try repository.changedNotes(from: before, to: after)
        #expect(changes.count == 1)
        guard case .changed(let commit, let blob)? = changes.first else { Issue.record("\(changes)"); return }
        #expect(commit == target)
        #expect(try repository.blobText(blob) == "flat\nfanned\nmore\n")
    }

    @Test func findsTheFewChangesAmongManyNotes() throws {
        let fixture = try GitFixture(bare: true)
        let repository = try fixture.open()
        let targets = (0..<5000).map { fakeCommit("many \($0)") }
        let before = try repository.appendNotes(targets.map { NoteAppend(commit: $0, text: "x") }, ref: notesRef, message: "m")
        let after = try repository.appendNotes([NoteAppend(commit: targets[42], text: "y")], ref: notesRef, message: "m")
        let start = ContinuousClock.now
        let changes = try repository.changedNotes(from: before, to: after)
        let elapsed = ContinuousClock.now - start
        #expect(changes.map(\.commitID) == [targets[42]])
        #expect(elapsed < .milliseconds(200), "a one-note diff among 5000 took \(elapsed)")
        #expect(try repository.notes(at: after).count == 5000)
    }
}

extension NoteChange {
    var commitID: ObjectID {
        switch self {
        case .changed(let commit, _), .removed(let commit): commit
        }
    }
}
