import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct NotesMergeTests {
    /// Two clones record results independently, then each merges the other's notes; the result
    /// must be what `git notes merge -s cat_sort_uniq` gives, with a merge base and without one.
    @Test func mergingTwoClonesNotesMatchesGitCatSortUniq() throws {
        let (serverA, commits) = try GitFixture.withCommits(4)
        let serverB = try Self.clone(serverA)
        let a = try serverA.open(), b = try serverB.open()

        // Unrelated notes histories: no merge base.
        _ = try a.appendNotes([NoteAppend(commit: commits[0], text: "{\"job\":\"a\",\"n\":1}"),
                               NoteAppend(commit: commits[1], text: "same on both"),
                               NoteAppend(commit: commits[2], text: "only in a")], ref: notesRef, message: "a")
        _ = try b.appendNotes([NoteAppend(commit: commits[0], text: "{\"job\":\"b\",\"n\":1}"),
                               NoteAppend(commit: commits[0], text: "{\"job\":\"a\",\"n\":1}"),
                               NoteAppend(commit: commits[1], text: "same on both"),
                               NoteAppend(commit: commits[3], text: "only in b")], ref: notesRef, message: "b")
        try Self.mergeAndCompare(into: serverA, a, from: serverB, commits: commits)

        // b takes a's merge: its tip is an ancestor, so that is a fast-forward.
        try b.fetch(remote: serverA.path, refspecs: ["+\(notesRef):refs/notes/theirs"])
        let merged = try #require(a.referenceTarget(notesRef))
        #expect(try b.mergeNotes(into: notesRef, from: merged, message: "ff") == merged)
        #expect(b.referenceTarget(notesRef) == merged)

        // Both sides go on from the common merge: now there is a merge base.
        _ = try a.appendNotes([NoteAppend(commit: commits[0], text: "{\"job\":\"a\",\"n\":2}"),
                               NoteAppend(commit: commits[2], text: "a again")], ref: notesRef, message: "a")
        _ = try b.appendNotes([NoteAppend(commit: commits[0], text: "{\"job\":\"b\",\"n\":2}"),
                               NoteAppend(commit: commits[3], text: "b again")], ref: notesRef, message: "b")
        try Self.mergeAndCompare(into: serverA, a, from: serverB, commits: commits)
        #expect(serverA.gitNote(commits[2]) == "only in a\na again", "changed on one side only: taken as is, unsorted")
    }

    @Test func missingRefAncestorAndFastForward() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let repository = try fixture.open()
        let first = try repository.appendNotes([NoteAppend(commit: fakeCommit("1"), text: "1")], ref: notesRef, message: "m")
        let second = try repository.appendNotes([NoteAppend(commit: fakeCommit("2"), text: "2")], ref: notesRef, message: "m")

        #expect(try repository.mergeNotes(into: "refs/notes/copy", from: first, message: "m") == first)
        #expect(try fixture.git(["rev-parse", "refs/notes/copy"]) == first.hex)
        #expect(try repository.mergeNotes(into: "refs/notes/copy", from: second, message: "m") == second, "fast-forward")
        #expect(try repository.mergeNotes(into: "refs/notes/copy", from: first, message: "m") == second, "already merged")
        #expect(try repository.mergeNotes(into: "refs/notes/copy", from: second, message: "m") == second)
        #expect(try fixture.git(["rev-list", "--count", "refs/notes/copy"]) == "2", "no merge commit was made")
    }

    @Test func aNoteRemovedOnOneSideAndUntouchedOnTheOtherIsRemoved() throws {
        let (fixture, commits) = try GitFixture.withCommits(2)
        let repository = try fixture.open()
        let base = try repository.appendNotes([NoteAppend(commit: commits[0], text: "zero"),
                                               NoteAppend(commit: commits[1], text: "one")], ref: notesRef, message: "m")
        try fixture.git(["update-ref", "refs/notes/cli", base.hex])
        try fixture.git(["notes", "--ref=gitci", "remove", commits[0].hex])
        let theirs = try objectID(try fixture.git(["rev-parse", notesRef]))
        try fixture.git(["update-ref", notesRef, base.hex])
        _ = try repository.appendNotes([NoteAppend(commit: commits[1], text: "one more")], ref: notesRef, message: "m")
        try fixture.git(["update-ref", "refs/notes/cli", notesRef])

        _ = try repository.mergeNotes(into: notesRef, from: theirs, message: "merge")
        try fixture.git(["notes", "--ref=cli", "merge", "-q", "-s", "cat_sort_uniq", theirs.hex])
        #expect(fixture.gitNote(commits[0]) == nil)
        #expect(fixture.gitNote(commits[0], ref: "cli") == nil)
        #expect(fixture.gitNote(commits[1]) == fixture.gitNote(commits[1], ref: "cli"))
    }

    static func clone(_ fixture: GitFixture) throws -> GitFixture {
        let clone = try GitFixture()
        try clone.git(["fetch", "-q", fixture.path, "main"])
        try clone.git(["reset", "-q", "--hard", "FETCH_HEAD"])
        return clone
    }

    /// Fetches `other`'s notes into `local`, merges them with gitci and with git (on a copy of
    /// the local notes ref), and checks both give every commit the same note.
    static func mergeAndCompare(into local: GitFixture, _ repository: Repository, from other: GitFixture,
                                commits: [ObjectID]) throws {
        try repository.fetch(remote: other.path, refspecs: ["+\(notesRef):refs/notes/theirs"])
        let theirs = try #require(repository.referenceTarget("refs/notes/theirs"))
        let before = try #require(repository.referenceTarget(notesRef))
        try local.git(["update-ref", "refs/notes/cli", before.hex])

        let merged = try repository.mergeNotes(into: notesRef, from: theirs, message: "gitci: merge notes")
        try local.git(["notes", "--ref=cli", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/theirs"])

        #expect(try local.git(["rev-list", "--parents", "-n", "1", merged.hex]) == "\(merged.hex) \(before.hex) \(theirs.hex)")
        for commit in commits {
            #expect(local.gitNote(commit) == local.gitNote(commit, ref: "cli"), "note of \(commit.short)")
        }
        #expect(try local.gitNotesList() == (try local.gitNotesList(ref: "cli")))
        #expect(try local.notesTreePaths().allSatisfy { $0.count == 41 && $0.dropFirst(2).first == "/" })
    }
}
