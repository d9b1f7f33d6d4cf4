import Foundation
import Testing
import TestSupport

/// `gitci log [BRANCH] [-n N] [--json]`: a branch's first-parent history with each commit's result.
@Suite struct LogCommandTests {
    /// main: pipeline (passed) ← second (no result) ← merge of `feature` (failed);
    /// feature: one commit of its own (passed), branched from `pipeline`.
    static func history() throws -> (repo: ResultsRepository, commits: [String: String]) {
        let repo = try ResultsRepository()
        var commits = ["pipeline": try repo.head()]
        try repo.record()
        try repo.git(["checkout", "-q", "-b", "feature"])
        commits["feature"] = try repo.fixture.commit(["feature.txt": "f\n"], message: "feature work")
        try repo.record()
        try repo.git(["checkout", "-q", "main"])
        commits["second"] = try repo.fixture.commit(["second.txt": "2\n"], message: "second")
        try repo.git(["merge", "-q", "--no-ff", "-m", "merge feature", "feature"])
        commits["merge"] = try repo.head()
        try repo.record(unit: "fail", expect: 1)
        return (repo, commits)
    }

    private func entries(_ document: [String: Any]) -> [(commit: String, subject: String, status: String)] {
        (document["commits"] as? [[String: Any]] ?? []).map {
            ($0["commit"] as? String ?? "", $0["subject"] as? String ?? "", $0["status"] as? String ?? "")
        }
    }

    @Test func jsonListsTheFirstParentHistoryWithResults() throws {
        let (repo, commits) = try Self.history()
        let result = try repo.gitci(["log", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try jsonObject(result.stdout)
        #expect(document["branch"] as? String == "main")
        let listed = entries(document)
        #expect(listed.map(\.commit) == [commits["merge"]!, commits["second"]!, commits["pipeline"]!])
        #expect(listed.map(\.commit) == (try repo.git(["log", "--first-parent", "--format=%H", "main"])).split(separator: "\n").map(String.init))
        #expect(listed.map(\.subject) == ["merge feature", "second", "pipeline"])
        #expect(listed.map(\.status) == ["failed", "none", "passed"])
        // The side branch's own commit is not on main's first-parent line.
        #expect(!listed.contains { $0.commit == commits["feature"] })
    }

    @Test func aBranchAndACountCanBeGiven() throws {
        let (repo, commits) = try Self.history()
        let feature = try jsonObject(try repo.gitci(["log", "feature", "--json"]).stdout)
        #expect(feature["branch"] as? String == "feature")
        #expect(entries(feature).map(\.commit) == [commits["feature"]!, commits["pipeline"]!])
        #expect(entries(feature).map(\.status) == ["passed", "passed"])

        // As with git log: -n N, -nN, --count N.
        for arguments in [["-n", "2"], ["-n2"], ["--count", "2"]] {
            let limited = try repo.gitci(["log"] + arguments + ["--json"])
            #expect(limited.status == 0, "\(arguments): \(limited.stderr)")
            #expect(entries(try jsonObject(limited.stdout)).map(\.commit) == [commits["merge"]!, commits["second"]!])
        }
    }

    @Test func textIsOneLinePerCommit() throws {
        let (repo, commits) = try Self.history()
        let result = try repo.gitci(["log"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let expected = [("merge", "failed", "merge feature"), ("second", "none", "second"), ("pipeline", "passed", "pipeline")]
        for (line, (key, status, subject)) in zip(lines, expected) {
            #expect(line.hasPrefix(String(commits[key]!.prefix(10))), "\(line)")
            #expect(line.contains(status), "\(line)")
            #expect(line.hasSuffix(subject), "\(line)")
        }
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let repo = try ResultsRepository()
        #expect(try repo.gitci(["log", "no-such-branch"]).status == 2)
        #expect(try repo.gitci(["log", "-n", "0"]).status == 2)
    }
}
