import Foundation
import Testing
import TestSupport

/// Branch names are data from whoever pushes: any name git accepts is built, listed and handed
/// to steps as it is, and never run as shell code.
@Suite struct BranchNameTests {
    /// Names git accepts (it forbids spaces in refs, so `${IFS}` stands in for them).
    static let names = [
        #"q'uo"te"#,
        "$(touch${IFS}pwned)",
        "`touch${IFS}pwned`",
        ";touch${IFS}pwned;#",
        "a|touch${IFS}pwned&&b",
        "ünïcødé/分支/🚀",
        String(repeating: "x", count: 200),
    ]

    @Test func hostileBranchNamesAreBuiltListedAndNeverExecuted() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              show:
                steps: ['printf "branch=[%s]\\n" "$GITCI_BRANCH"']
            """)
        var tips: [String: String] = [:]
        for (index, name) in Self.names.enumerated() {
            try fixture.clone.git(["branch", name, "main"])
            try fixture.clone.git(["checkout", "-q", name])
            tips[name] = try fixture.clone.commit(["which": "\(index)"], message: "branch \(index)")
        }
        try fixture.clone.git(["checkout", "-q", "main"])
        try fixture.pushOK(["origin", "--all"])
        try fixture.drain()

        let plans = try fixture.plans()
        for name in Self.names {
            let commit = try #require(tips[name])
            #expect(plans[name]?["state"] as? String == "active", "\(name)")
            #expect((plans[name]?["last"] as? [String: Any])?["status"] as? String == "passed", "\(name)")
            let records = try fixture.pipelineRecords(commit)
            #expect(records.count == 1, "\(name)")
            #expect(records.first?["branch"] as? String == name)
            #expect(try fixture.log(of: commit, job: "show").contains("branch=[\(name)]"), "\(name)")
        }
        // The human-readable listing shows them whole too.
        let listing = try fixture.gitci(["plans"])
        #expect(listing.status == 0)
        for name in Self.names {
            #expect(listing.stdout.contains(name), "\(name)")
        }

        for folder in [fixture.server.path, fixture.clone.path, fixture.scratch.path] {
            let pwned = FileManager.default.enumerator(atPath: folder)?
                .compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent == "pwned" } ?? []
            #expect(pwned.isEmpty, "\(folder): \(pwned)")
        }
    }

    /// A name of 2,999 characters, as long as git takes on a file system whose names are at
    /// most 255 bytes (15 folders of 199): past libgit2's 1,024-byte lookups.
    static let longName = Array(repeating: String(repeating: "b", count: 199), count: 15).joined(separator: "/")

    @Test func aBranchNameThousandsOfCharactersLongWorksInStatusAndLog() throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              show:
                steps: ['printf "branch=[%s]\\n" "$GITCI_BRANCH" | cut -c1-20']
            """)
        let name = Self.longName
        try fixture.clone.git(["checkout", "-q", "-b", name])
        let tip = try fixture.clone.commit(["long": "1"], message: "on a long branch")
        try fixture.pushOK(["origin", name])
        try fixture.drain()
        #expect((try fixture.plans()[name]?["last"] as? [String: Any])?["status"] as? String == "passed")

        // In the server, loose refs and then packed ones; and in the working copy, where the
        // branch is checked out.
        for packed in [false, true] {
            if packed { try fixture.server.git(["pack-refs", "--all"]) }
            let status = try fixture.gitci(["status", name, "--json"])
            #expect(status.status == 0, "\(status.stderr.prefix(300))")
            #expect(try fixture.document(status)["commit"] as? String == tip)
            let log = try fixture.document(fixture.gitci(["log", name, "--json"]))
            #expect(log["branch"] as? String == name)
            let commits = log["commits"] as? [[String: Any]] ?? []
            #expect(commits.first?["commit"] as? String == tip)
            #expect(commits.first?["status"] as? String == "passed")
            let text = try fixture.gitci(["log", name])
            #expect(text.status == 0 && text.stdout.contains("on a long branch"), "\(text.stderr.prefix(300))")
        }
        try fixture.clone.git(["fetch", "-q", "origin", "refs/notes/gitci:refs/notes/gitci"])
        let here = try GitciBinary.run(["log", "--json"], in: fixture.clone.path)
        let document = try fixture.document(here)
        #expect(document["branch"] as? String == name, "the current branch, named in full")
        #expect((document["commits"] as? [[String: Any]])?.first?["status"] as? String == "passed")
        #expect(try GitciBinary.run(["status", name], in: fixture.clone.path).status == 0)
    }

    @Test func deletingAHostileBranchRetiresItsPlan() throws {
        let fixture = try ServerFixture(pipeline: "jobs:\n  a:\n    steps: [\"true\"]\n")
        let name = "$(touch${IFS}pwned)"
        try fixture.clone.git(["branch", name])
        try fixture.pushOK(["origin", name])
        try fixture.drain()
        try fixture.pushOK(["origin", "--delete", name])
        try fixture.drain()
        #expect(try fixture.plans()[name]?["state"] as? String == "retired")
        #expect(!FileManager.default.fileExists(atPath: fixture.serverPath + "/pwned"))
    }
}
