import Foundation
import Testing
import TestSupport

/// `gitci status [REV] [--json]`: what a commit's results look like to anyone with the notes.
@Suite struct StatusCommandTests {
    @Test func jsonHoldsTheContractKeysAndTheNotesValues() throws {
        let repo = try ResultsRepository()
        try repo.record()
        let head = try repo.head()
        let status = try repo.status()
        #expect(status.exit == 0)
        #expect(status.document["commit"] as? String == head)
        #expect(status.document["status"] as? String == "passed")
        let jobs = try #require(status.document["jobs"] as? [[String: Any]])
        #expect(jobs.count == 2)
        let notes = try repo.noteRecords(head)
        for job in jobs {
            for key in ["name", "status", "exit_code", "duration_ms", "node", "log", "reused_from"] {
                #expect(job.keys.contains(key), "job \(job["name"] ?? "?") lacks '\(key)'")
            }
            let name = try #require(job["name"] as? String)
            let note = try #require(notes.first { $0["job"] as? String == name })
            #expect(job["status"] as? String == "passed")
            #expect(job["exit_code"] as? Int == 0)
            #expect(job["duration_ms"] as? Int == note["duration_ms"] as? Int)
            #expect(job["node"] as? String == note["node"] as? String)
            // The note's path is relative to the state folder; status gives the file's.
            #expect(job["log"] as? String == repo.path + "/.git/gitci/" + (note["log"] as? String ?? ""))
            #expect(job["reused_from"] is NSNull)
        }
    }

    @Test func textShowsThePipelineAndEachJob() throws {
        let repo = try ResultsRepository()
        try repo.record(unit: "fail", expect: 1)
        let result = try repo.gitci(["status"])
        #expect(result.status == 1)
        let head = try repo.head()
        #expect(result.stdout.contains(String(head.prefix(10))))
        #expect(result.stdout.contains("pipeline failed"))
        let unit = try #require(result.stdout.split(separator: "\n").first { $0.contains("unit") })
        #expect(unit.contains("failed"))
        let compile = try #require(result.stdout.split(separator: "\n").first { $0.contains("compile") })
        #expect(compile.contains("passed"))
    }

    @Test func textOfAPassedCommitEndsWithItsLastJob() throws {
        // Its exit status once printed an empty message: a blank line after the jobs.
        let repo = try ResultsRepository()
        try repo.record()
        let result = try repo.gitci(["status"])
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("\n"))
        #expect(!result.stdout.hasSuffix("\n\n"), "\(result.stdout)")
    }

    @Test func theDefaultIsHeadAndAnyRevisionWorks() throws {
        let repo = try ResultsRepository()
        try repo.record()
        let recorded = try repo.head()
        try repo.git(["tag", "v1"])
        try repo.fixture.commit(["next.txt": "x\n"], message: "next")

        let head = try repo.status()
        #expect(head.exit == 1)
        #expect(head.document["commit"] as? String == (try repo.head()))
        #expect(head.document["status"] as? String == "none")
        #expect((head.document["jobs"] as? [Any])?.isEmpty == true)
        for revision in ["HEAD~1", "v1", recorded, String(recorded.prefix(8))] {
            let status = try repo.status(revision)
            #expect(status.exit == 0, "\(revision): \(status.stderr)")
            #expect(status.document["commit"] as? String == recorded)
            #expect(status.document["status"] as? String == "passed")
        }
    }

    @Test func aCommitWithoutResultsSaysSo() throws {
        let repo = try ResultsRepository()
        let text = try repo.gitci(["status"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("no results recorded"))
        let json = try repo.status()
        #expect(json.exit == 1)
        #expect(json.document["status"] as? String == "none")
    }

    @Test func anUnknownRevisionIsAUsageError() throws {
        let repo = try ResultsRepository()
        let result = try repo.gitci(["status", "no-such-branch"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no-such-branch"))
        #expect(result.stdout.isEmpty)
    }

    @Test func worksInABareRepositoryThatHoldsTheNotes() throws {
        let repo = try ResultsRepository()
        try repo.record(unit: "fail", expect: 1)
        let server = try Server(from: repo)
        try repo.git(["push", "-q", server.bare.path, "refs/notes/gitci"])
        let bare = ResultsRepository(server.bare)

        for arguments in [["status", "--json"], ["status", "main", "--json"]] {
            let result = try bare.gitci(arguments)
            #expect(result.status == 1, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect(document["commit"] as? String == (try repo.head()))
            #expect(document["status"] as? String == "failed")
            #expect(jobStatuses(document) == ["compile": "passed", "unit": "failed"])
        }
        // The index lives in the bare repository's own state folder.
        #expect(FileManager.default.fileExists(atPath: server.bare.directory.url("gitci/index.sqlite")))
    }

    @Test func aCloneSeesResultsOnceItFetchesTheNotesAndCatchesUpOnLaterFetches() throws {
        let repo = try ResultsRepository()
        try repo.record()
        let first = try repo.head()
        let server = try Server(from: repo)
        try repo.git(["push", "-q", server.bare.path, "refs/notes/gitci"])

        let clone = try server.clone()
        // A plain clone has no notes: no results yet.
        #expect(try clone.status().document["status"] as? String == "none")
        try clone.git(["fetch", "-q", "origin", "refs/notes/gitci:refs/notes/gitci"])
        #expect(try clone.status().document["status"] as? String == "passed")

        // Later: a new commit and a rerun of the first one, recorded upstream and fetched.
        try repo.fixture.commit(["next.txt": "x\n"], message: "next")
        try repo.record(unit: "fail", expect: 1)
        try repo.record(["--commit", first], unit: "fail", expect: 1)
        try repo.git(["push", "-q", server.bare.path, "main", "refs/notes/gitci"])
        try clone.git(["pull", "-q", "--ff-only"])
        try clone.git(["fetch", "-q", "origin", "+refs/notes/gitci:refs/notes/gitci"])

        let latest = try clone.status()
        #expect(latest.document["commit"] as? String == (try repo.head()))
        #expect(latest.document["status"] as? String == "failed")
        #expect(try clone.status(first).document["status"] as? String == "failed")
        // What the clone's index says is what the notes say upstream.
        for commit in [first, try repo.head()] {
            #expect(jobStatuses(try clone.status(commit).document) == jobStatuses(try repo.status(commit).document))
        }
    }
}
