import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct NotesWriteTests {
    @Test func gitShowsWhatAppendNotesWrote() throws {
        let (fixture, commits) = try GitFixture.withCommits(2)
        let repository = try fixture.open()
        let first = try repository.appendNotes([
            NoteAppend(commit: commits[0], text: #"{"job":"lint"}"#),
            NoteAppend(commit: commits[1], text: #"{"job":"test"}"#),
            NoteAppend(commit: commits[0], text: "{\"job\":\"build\"}\n"),
        ], ref: notesRef, message: "gitci: 3 results")

        #expect(try fixture.git(["rev-parse", notesRef]) == first.hex)
        #expect(fixture.gitNote(commits[0]) == "{\"job\":\"lint\"}\n{\"job\":\"build\"}")
        #expect(fixture.gitNote(commits[1]) == #"{"job":"test"}"#)
        #expect(try fixture.git(["log", "--format=%s", notesRef]) == "gitci: 3 results")

        let second = try repository.appendNotes([NoteAppend(commit: commits[1], text: #"{"job":"deploy"}"#)],
                                                ref: notesRef, message: "gitci: 1 result")
        #expect(second != first)
        #expect(try fixture.git(["rev-parse", "\(notesRef)^"]) == first.hex, "one new commit on top of the last")
        #expect(fixture.gitNote(commits[1]) == "{\"job\":\"test\"}\n{\"job\":\"deploy\"}")
        #expect(try repository.note(for: commits[1], ref: notesRef) == "{\"job\":\"test\"}\n{\"job\":\"deploy\"}\n")
        #expect(try fixture.git(["log", "--notes=gitci", "-1", "--format=%N", commits[0].hex])
            .contains(#"{"job":"build"}"#))
    }

    @Test func notesAreFannedOutAndListedByGit() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let repository = try fixture.open()
        let targets = (0..<300).map { fakeCommit("\($0)") }
        _ = try repository.appendNotes(targets.prefix(150).map { NoteAppend(commit: $0, text: "batch 1") },
                                       ref: notesRef, message: "first")
        for target in targets.suffix(150).prefix(5) {
            _ = try repository.appendNotes([NoteAppend(commit: target, text: "single")], ref: notesRef, message: "one")
        }
        _ = try repository.appendNotes(targets.suffix(145).map { NoteAppend(commit: $0, text: "batch 2") },
                                       ref: notesRef, message: "second")

        let listed = try fixture.gitNotesList()
        #expect(listed.count == 300)
        #expect(Set(listed.keys) == Set(targets.map(\.hex)))
        let paths = try fixture.notesTreePaths()
        #expect(paths.count == 300)
        #expect(paths.allSatisfy { $0.range(of: "^[0-9a-f]{2}/[0-9a-f]{38}$", options: .regularExpression) != nil })
        #expect(try fixture.git(["rev-list", "--count", notesRef]) == "7")
        let fsck = try Shell.run(["git", "fsck", "--no-dangling", "--no-progress"], in: fixture.path)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    }

    @Test func appendingToANoteGitWroteFlatKeepsOneNoteWithBothTexts() throws {
        let (fixture, commits) = try GitFixture.withCommits(2)
        try fixture.git(["notes", "--ref=gitci", "add", "-m", "from git add", commits[0].hex])
        try fixture.git(["notes", "--ref=gitci", "append", "-m", "from git append", commits[0].hex])
        try fixture.git(["notes", "--ref=gitci", "add", "-m", "other", commits[1].hex])
        #expect(try fixture.notesTreePaths() == [commits[0].hex, commits[1].hex].sorted(), "git wrote a flat tree")

        let repository = try fixture.open()
        #expect(try repository.note(for: commits[0], ref: notesRef) == "from git add\n\nfrom git append\n")
        _ = try repository.appendNotes([NoteAppend(commit: commits[0], text: "from gitci")], ref: notesRef, message: "m")

        #expect(fixture.gitNote(commits[0]) == "from git add\n\nfrom git append\nfrom gitci")
        #expect(fixture.gitNote(commits[1]) == "other")
        let paths = try fixture.notesTreePaths()
        #expect(paths.filter { $0.replacingOccurrences(of: "/", with: "") == commits[0].hex } == [fanOut(commits[0])],
                "the flat entry moved to the fan-out")
        #expect(paths.contains(commits[1].hex), "untouched notes stay where they were")
        #expect(try fixture.gitNotesList().count == 2)
    }

    @Test func aNoteGitWroteMeanwhileIsKept() throws {
        let (fixture, commits) = try GitFixture.withCommits(3)
        let repository = try fixture.open()
        _ = try repository.appendNotes([NoteAppend(commit: commits[0], text: "gitci 0")], ref: notesRef, message: "m")
        // git rewrites the notes tree in its own layout when it writes.
        try fixture.git(["notes", "--ref=gitci", "append", "-m", "git 1", commits[1].hex])
        try fixture.git(["notes", "--ref=gitci", "append", "-m", "git 0", commits[0].hex])
        _ = try repository.appendNotes([NoteAppend(commit: commits[2], text: "gitci 2"),
                                        NoteAppend(commit: commits[1], text: "gitci 1")], ref: notesRef, message: "m")

        #expect(fixture.gitNote(commits[0]) == "gitci 0\n\ngit 0")
        #expect(fixture.gitNote(commits[1]) == "git 1\ngitci 1")
        #expect(fixture.gitNote(commits[2]) == "gitci 2")
        #expect(try fixture.gitNotesList().count == 3)
        #expect(try fixture.notesTreePaths().count == 3)
    }

    @Test func notesAtEveryLayoutAreReadAndMovedToTheFanOut() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let flat = fakeCommit("flat"), deep = fakeCommit("2/2/36"), both = fakeCommit("both")
        let deepPath = "\(deep.hex.prefix(2))/\(deep.hex.dropFirst(2).prefix(2))/\(deep.hex.dropFirst(4))"
        let tip = try fixture.writeNotesTreeByHand([
            flat.hex: "flat note\n",
            deepPath: "deep note\n",
            both.hex: "both flat\n",
            fanOut(both): "both fanned\n",
            "README": "not a note\n",
            "ab/README": "not a note either\n",
        ])
        let repository = try fixture.open()
        #expect(try repository.note(for: flat, ref: notesRef) == "flat note\n")
        #expect(try repository.note(for: deep, ref: notesRef) == "deep note\n")
        #expect(try repository.note(for: both, ref: notesRef) == "both flat\nboth fanned\n")
        #expect(try repository.note(for: fakeCommit("none"), ref: notesRef) == nil)
        #expect(try repository.note(for: flat, ref: "refs/notes/missing") == nil)
        let listed = try repository.notes(at: tip)
        #expect(listed.map(\.commit) == [flat, deep, both].sorted())
        #expect(try repository.blobText(try #require(listed.first { $0.commit == deep }).blob) == "deep note\n")

        _ = try repository.appendNotes([NoteAppend(commit: flat, text: "more"),
                                        NoteAppend(commit: deep, text: "more"),
                                        NoteAppend(commit: both, text: "more")], ref: notesRef, message: "m")
        #expect(fixture.gitNote(flat) == "flat note\nmore")
        #expect(fixture.gitNote(deep) == "deep note\nmore")
        #expect(fixture.gitNote(both) == "both flat\nboth fanned\nmore")
        #expect(try fixture.notesTreePaths().sorted()
            == (["README", "ab/README"] + [flat, deep, both].map(fanOut)).sorted())
    }

    @Test func theFirstAppendCreatesTheRefInABareRepository() throws {
        let fixture = try GitFixture(bare: true)
        let repository = try fixture.open()
        #expect(repository.referenceTarget(notesRef) == nil)
        let target = fakeCommit("x")
        let tip = try repository.appendNotes([NoteAppend(commit: target, text: "x")], ref: notesRef, message: "first")
        #expect(repository.referenceTarget(notesRef) == tip)
        #expect(try fixture.git(["rev-list", "--count", notesRef]) == "1")
        #expect(try fixture.git(["cat-file", "blob", "\(notesRef):\(fanOut(target))"]) == "x")
    }

    @Test func blobTextIsLossyUTF8() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let bad = try Shell.run(["sh", "-c", "printf 'ok \\377\\n' | git hash-object -w --stdin"], in: fixture.path)
        let repository = try fixture.open()
        #expect(try repository.blobText(try objectID(bad.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            == "ok \u{FFFD}\n")
    }
}
