import Foundation
import Testing
import TestSupport

/// Results travelling between repositories: `gitci sync`, and plain git merging gitci's notes.
@Suite struct SyncTests {
    /// The server's notes for `commit`, read with git in the bare repository.
    private func serverNote(_ server: Server, _ commit: String) throws -> [String] {
        try server.bare.git(["notes", "--ref=gitci", "show", commit]).split(separator: "\n").map(String.init)
    }

    @Test func syncBetweenABareServerAndTwoClones() throws {
        let origin = try ResultsRepository()
        let server = try Server(from: origin)
        let alice = try server.clone()
        let bob = try server.clone()
        let shared = try alice.head()

        // Alice records a passing run and syncs: the server gets her notes.
        try alice.record()
        let aliceLines = try alice.noteLines(shared)
        let first = try alice.gitci(["sync"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("has no results yet"), "\(first.stdout)")
        #expect(try serverNote(server, shared) == aliceLines)

        // Bob, who never fetched Alice's notes, records a failing run of the same commit and
        // one of his own commit, then syncs: both runs of the shared commit are kept.
        try bob.record(unit: "fail", expect: 1)
        let bobLines = try bob.noteLines(shared)
        let bobCommit = try bob.fixture.commit(["bob.txt": "b\n"], message: "bob's work")
        try bob.record()
        let second = try bob.gitci(["sync", "origin"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Set(try bob.noteLines(shared)) == Set(aliceLines + bobLines))
        #expect(try bob.noteLines(shared).count == 6)
        #expect(Set(try serverNote(server, shared)) == Set(aliceLines + bobLines))
        #expect(try bob.annotatedCommits() == [shared, bobCommit])

        // Alice syncs again and now has everything; nobody's results were lost.
        try bob.git(["push", "-q", "origin", "main"])
        try alice.git(["pull", "-q", "--ff-only"])
        let third = try alice.gitci(["sync"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(Set(try alice.noteLines(shared)) == Set(aliceLines + bobLines))
        #expect(try alice.annotatedCommits() == [shared, bobCommit])
        #expect(try alice.git(["rev-parse", "refs/notes/gitci"]) == (try server.bare.git(["rev-parse", "refs/notes/gitci"])))

        // Everyone reads the same results: Bob's failing run of `unit` is the newest.
        let fromAlice = try alice.status(shared)
        #expect(fromAlice.document["status"] as? String == "failed")
        #expect(jobStatuses(fromAlice.document) == ["compile": "passed", "unit": "failed"])
        let serverStatus = try ResultsRepository(server.bare).gitci(["status", shared, "--json"])
        for other in [try bob.status(shared).document, try jsonObject(serverStatus.stdout)] {
            #expect(other["status"] as? String == "failed")
            #expect(jobStatuses(other) == jobStatuses(fromAlice.document))
        }
        #expect(try alice.status(bobCommit).document["status"] as? String == "passed")

        // A newcomer without any notes gets everything from one sync.
        let carol = try server.clone()
        let joined = try carol.gitci(["sync", "--no-push"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.contains("2 notes changed"), "\(joined.stdout)")
        #expect(jobStatuses(try carol.status(shared).document) == jobStatuses(fromAlice.document))
        #expect(try carol.status(bobCommit).document["status"] as? String == "passed")

        // Nothing new: a sync changes nothing.
        let idle = try alice.gitci(["sync"])
        #expect(idle.status == 0)
        #expect(idle.stdout.contains("0 notes changed"), "\(idle.stdout)")
    }

    @Test func aRemoteWithoutNotesIsFine() throws {
        let origin = try ResultsRepository()
        let server = try Server(from: origin)
        let clone = try server.clone()

        // Neither side has results: nothing to fetch, nothing to push.
        let empty = try clone.gitci(["sync"])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout.contains("'origin' has no results yet"), "\(empty.stdout)")
        #expect(try Shell.run(["git", "rev-parse", "--verify", "-q", "refs/notes/gitci"], in: server.bare.path).status != 0)

        // Only this side has results: they are pushed.
        try clone.record()
        let push = try clone.gitci(["sync"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("has no results yet"), "\(push.stdout)")
        #expect(push.stdout.contains("pushed refs/notes/gitci"), "\(push.stdout)")
        #expect(try serverNote(server, try clone.head()) == (try clone.noteLines(try clone.head())))

        // What an earlier sync fetched from one remote does not pass for results of another.
        #expect(try clone.gitci(["sync"]).stdout.contains("fetched results from 'origin'"))
        let other = try GitFixture(bare: true)
        try clone.git(["push", "-q", other.path, "main"])
        let elsewhere = try clone.gitci(["sync", "--no-push", other.path])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(elsewhere.stdout.contains("has no results yet"), "\(elsewhere.stdout)")
    }

    @Test func noPushLeavesTheRemoteAsItIs() throws {
        let origin = try ResultsRepository()
        let server = try Server(from: origin)
        let alice = try server.clone()
        let bob = try server.clone()
        try alice.record()
        try alice.gitci(["sync"])
        let serverNotes = try server.bare.git(["rev-parse", "refs/notes/gitci"])

        try bob.record(unit: "fail", expect: 1)
        let result = try bob.gitci(["sync", "--no-push"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try server.bare.git(["rev-parse", "refs/notes/gitci"]) == serverNotes)
        #expect(try bob.noteLines(try bob.head()).count == 6)
        #expect(try server.bare.git(["notes", "--ref=gitci", "show", "main"]).split(separator: "\n").count == 3)
    }

    @Test func syncWithAPathOrURLInsteadOfARemoteName() throws {
        let origin = try ResultsRepository()
        let server = try Server(from: origin)
        try origin.record()
        let result = try origin.gitci(["sync", server.bare.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try serverNote(server, try origin.head()) == (try origin.noteLines(try origin.head())))
    }

    @Test func anUnreachableRemoteIsAnError() throws {
        let repo = try ResultsRepository()
        try repo.record()
        let result = try repo.gitci(["sync", "/nonexistent/gitci/remote.git"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/gitci/remote.git"), "\(result.stderr)")
    }

    @Test func gitNotesMergeCatSortUniqKeepsBothSidesAndGitciReadsThem() throws {
        let origin = try ResultsRepository()
        let server = try Server(from: origin)
        let alice = try server.clone()
        let bob = try server.clone()
        let shared = try alice.head()
        try alice.record()
        let aliceLines = try alice.noteLines(shared)
        #expect(try alice.status(shared).document["status"] as? String == "passed")
        try bob.record(unit: "fail", expect: 1)
        let bobLines = try bob.noteLines(shared)
        let bobCommit = try bob.fixture.commit(["bob.txt": "b\n"], message: "bob's work")
        try bob.record()

        // Plain git, no gitci: fetch Bob's notes and merge them into Alice's.
        try alice.git(["fetch", "-q", bob.path, "refs/notes/gitci:refs/notes/bob", "main:refs/remotes/bob/main"])
        try alice.git(["notes", "--ref=gitci", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/bob"])

        let merged = try alice.noteLines(shared)
        #expect(merged == (aliceLines + bobLines).sorted())
        #expect(try alice.annotatedCommits() == [shared, bobCommit])
        // The index catches up with the merged notes, and the newest run wins.
        let status = try alice.status(shared)
        #expect(status.document["status"] as? String == "failed")
        #expect(jobStatuses(status.document) == ["compile": "passed", "unit": "failed"])
        #expect(try alice.status(bobCommit).document["status"] as? String == "passed")

        // A later gitci write appends to the merged note and keeps every line.
        try alice.record()
        let after = try alice.noteLines(shared)
        #expect(after.count == 9)
        #expect(Set(merged).isSubset(of: Set(after)))
        #expect(try alice.status(shared).document["status"] as? String == "passed")
    }
}
