import Foundation
import Testing
import TestSupport

/// `gitci sync` to a repository on this machine goes through git's receive-pack, so the
/// remote's hooks have their say: libgit2's local transport would write its notes directly.
@Suite struct SyncHookTests {
    @Test(arguments: [false, true])
    func aRemoteWhosePreReceiveRefusesNotesKeepsItsNotes(fileURL: Bool) throws {
        let origin = try ResultsRepository()
        let server = try Server(from: origin)
        let alice = try server.clone()
        try alice.record()
        #expect(try alice.gitci(["sync"]).status == 0)
        let serverNotes = try server.bare.git(["rev-parse", "refs/notes/gitci"])

        // From now on the server's pre-receive hook refuses every update of refs/notes/gitci.
        let hook = server.bare.path + "/hooks/pre-receive"
        try "#!/bin/sh\nwhile read old new ref; do [ \"$ref\" = refs/notes/gitci ] && { echo 'notes are the server'\"'\"'s' >&2; exit 1; }; done; exit 0\n"
            .write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let bob = try server.clone()
        try bob.record(unit: "fail", expect: 1)
        if fileURL { try bob.git(["remote", "set-url", "origin", "file://" + server.bare.path]) }
        let sync = try bob.gitci(["sync"])

        #expect(sync.status == 1)
        #expect(sync.stderr.contains("notes are the server's"), "\(sync.stderr)")
        #expect(try server.bare.git(["rev-parse", "refs/notes/gitci"]) == serverNotes)
        // What was fetched is merged here all the same.
        #expect(try bob.noteLines(try bob.head()).count == 6)
    }
}
