import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct RemoteTests {
    @Test func notesTravelThroughABareRepository() throws {
        let server = try GitFixture(bare: true)
        let first = try GitFixture(files: ["a": "a"])
        try first.git(["remote", "add", "origin", server.path])
        try first.git(["push", "-q", "origin", "main"])
        let commit = try objectID(try first.git(["rev-parse", "HEAD"]))

        let one = try first.open()
        _ = try one.appendNotes([NoteAppend(commit: commit, text: "from first")], ref: notesRef, message: "m")
        try one.push(remote: "origin", refspecs: ["\(notesRef):\(notesRef)"])
        #expect(server.gitNote(commit) == "from first")

        let secondFolder = TemporaryDirectory("gitci-clone")
        try Shell.run(["git", "clone", "-q", server.path, secondFolder.path])
        let two = try Repository.open(secondFolder.path)
        #expect(two.referenceTarget(notesRef) == nil, "clones do not fetch notes")
        try two.fetch(remote: server.path, refspecs: ["\(notesRef):\(notesRef)"])
        #expect(two.referenceTarget(notesRef) == one.referenceTarget(notesRef))
        #expect(try two.note(for: commit, ref: notesRef) == "from first\n")

        _ = try two.appendNotes([NoteAppend(commit: commit, text: "from second")], ref: notesRef, message: "m")
        try two.push(remote: "origin", refspecs: ["\(notesRef):\(notesRef)"])
        #expect(server.gitNote(commit) == "from first\nfrom second")

        // first is behind now: its own new note would overwrite the server's.
        _ = try one.appendNotes([NoteAppend(commit: commit, text: "diverged")], ref: notesRef, message: "m")
        let error = #expect(throws: GitError.self) { try one.push(remote: "origin", refspecs: ["\(notesRef):\(notesRef)"]) }
        #expect(error?.description.contains(notesRef) == true, "\(String(describing: error))")
        #expect(error?.description.contains("origin") == true, "\(String(describing: error))")
        #expect(server.gitNote(commit) == "from first\nfrom second")

        // The way out: fetch theirs, merge, push.
        try one.fetch(remote: "origin", refspecs: ["+\(notesRef):refs/notes/theirs"])
        _ = try one.mergeNotes(into: notesRef, from: try #require(one.referenceTarget("refs/notes/theirs")), message: "merge")
        try one.push(remote: "origin", refspecs: ["\(notesRef):\(notesRef)"])
        #expect(server.gitNote(commit) == "diverged\nfrom first\nfrom second")
    }

    @Test func fetchingFromAMissingRemoteNamesIt() throws {
        let fixture = try GitFixture(files: ["a": "a"])
        let repository = try fixture.open()
        let missing = fixture.directory.url("no-such-repository")
        let error = #expect(throws: GitError.self) { try repository.fetch(remote: missing, refspecs: ["\(notesRef):\(notesRef)"]) }
        #expect(error?.description.contains(missing) == true, "\(String(describing: error))")
        let pushError = #expect(throws: GitError.self) { try repository.push(remote: "nowhere", refspecs: ["main:main"]) }
        #expect(pushError?.description.contains("nowhere") == true, "\(String(describing: pushError))")
    }
}
