import Foundation
import Runner
import Testing
import TestSupport

/// What a job's workspace holds: a commit's tree for `--commit`, the working tree as it is
/// otherwise; always a folder of its own, compared here with what `git` itself says.
@Suite struct WorkspaceTests {
    /// Lists every file and symbolic link of the workspace, relative, sorted.
    static let listFiles = #"find . -path ./.git -prune -o \( -type f -o -type l \) -print | sed 's|^\./||' | LC_ALL=C sort > @SHARED@/files"#

    @Test func aCommitRunChecksOutThatCommitsTree() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              inspect:
                steps:
                  - |
                    \(Self.listFiles)
                    cat data.txt > @SHARED@/data
                    ./bin/tool.sh > @SHARED@/tool
                    readlink link-to-data > @SHARED@/link
            """, files: ["data.txt": "v1\n", "src/deep/code.txt": "code\n"])
        try fixture.repo.write("bin/tool.sh", "#!/bin/sh\necho tool ran\n", executable: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.repo.directory.url("link-to-data"),
                                                   withDestinationPath: "data.txt")
        try fixture.repo.git(["add", "-A"])
        try fixture.repo.git(["commit", "-q", "-m", "tool"])
        let built = try fixture.repo.git(["rev-parse", "HEAD"])
        try fixture.repo.commit(["data.txt": "v2\n"], message: "later")
        // The working tree moves on: changed, new and a different pipeline, none of it committed.
        try fixture.repo.write("data.txt", "v3, uncommitted\n")
        try fixture.repo.write("untracked.txt", "new\n")
        try fixture.repo.write(".gitci.yml", "jobs:\n  other:\n    steps: [\"touch \(fixture.sharedPath("wrong-pipeline"))\"]\n")

        let report = try await fixture.run(LocalRun.Options(commit: built))
        #expect(report.status == .passed)
        #expect(report.commit?.hex == built)
        #expect(report.jobs.map(\.name) == ["inspect"])
        #expect(!fixture.sharedFileExists("wrong-pipeline"))
        #expect(try fixture.sharedText("data") == "v1")
        #expect(try fixture.sharedText("tool") == "tool ran")
        #expect(try fixture.sharedText("link") == "data.txt")
        let committed = try fixture.repo.git(["ls-tree", "-r", "--name-only", built])
            .split(separator: "\n").map(String.init).sorted()
        #expect(try fixture.sharedText("files").split(separator: "\n").map(String.init) == committed)
    }

    @Test func aWorkingTreeRunSeesUncommittedAndUntrackedButNotIgnoredFiles() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              inspect:
                steps:
                  - |
                    \(Self.listFiles)
                    cat changed.txt > @SHARED@/changed
                    ./tool.sh > @SHARED@/tool
            """, files: [
                ".gitignore": "*.log\nbuild/\n",
                "kept.txt": "kept\n",
                "changed.txt": "old\n",
                "gone.txt": "soon deleted\n",
            ])
        try fixture.repo.write("changed.txt", "new\n")
        try FileManager.default.removeItem(atPath: fixture.repo.directory.url("gone.txt"))
        try fixture.repo.write("staged.txt", "staged\n")
        try fixture.repo.git(["add", "staged.txt"])
        try fixture.repo.write("fresh.txt", "untracked\n")
        try fixture.repo.write("dir/deep/new.txt", "untracked, deep\n")
        try fixture.repo.write("tool.sh", "#!/bin/sh\necho tool ran\n", executable: true)
        try fixture.repo.write("debug.log", "ignored\n")
        try fixture.repo.write("build/out.bin", "ignored\n")
        try fixture.repo.write("dir/trace.log", "ignored\n")
        try fixture.repo.write("tracked.log", "ignored by pattern, but tracked\n")
        try fixture.repo.git(["add", "-f", "tracked.log"])

        let report = try await fixture.run()
        #expect(report.status == .passed)
        #expect(try fixture.sharedText("changed") == "new")
        #expect(try fixture.sharedText("tool") == "tool ran")

        let seen = try fixture.sharedText("files").split(separator: "\n").map(String.init)
        // What git considers part of the working tree: tracked and untracked-not-ignored files,
        // minus those deleted from disk.
        let listed = Set(try fixture.repo.git(["ls-files", "--cached", "--others", "--exclude-standard"]).split(separator: "\n").map(String.init))
        let deleted = Set(try fixture.repo.git(["ls-files", "--deleted"]).split(separator: "\n").map(String.init))
        #expect(seen == listed.subtracting(deleted).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(seen.contains("fresh.txt") && seen.contains("dir/deep/new.txt") && seen.contains("staged.txt"))
        #expect(!seen.contains("debug.log") && !seen.contains("build/out.bin") && !seen.contains("dir/trace.log"))
        #expect(!seen.contains("gone.txt"))
        #expect(seen.contains("tracked.log"))
    }

    @Test func everyJobHasAWorkspaceOfItsOwn() async throws {
        // Both jobs run at once (each waits for the other), write a file into their workspace,
        // and then look for the other's file.
        let job = { (me: String, other: String) in
            """
                steps:
                  - |
                    echo \(me) > mine-\(me)
                    echo \(me) > shared.txt
                    pwd -P > @SHARED@/workspace-\(me)
                    touch @SHARED@/\(me)-wrote
                    \(Step.waitFor("\(other)-wrote"))
                    test ! -e mine-\(other)
                    test "$(cat shared.txt)" = \(me)
            """
        }
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              left:
            \(job("left", "right"))
              right:
            \(job("right", "left"))
            """, files: ["shared.txt": "from the repository\n"])
        let report = try await fixture.run()
        #expect(report["left"].status == .passed)
        #expect(report["right"].status == .passed)
        let left = try fixture.sharedText("workspace-left")
        let right = try fixture.sharedText("workspace-right")
        #expect(left != right)
        // Jobs change only their copies: the working tree is as it was, and workspaces are gone.
        #expect(try fixture.repo.git(["status", "--porcelain"]).isEmpty)
        #expect(try String(contentsOfFile: fixture.repo.directory.url("shared.txt"), encoding: .utf8) == "from the repository\n")
        #expect(!FileManager.default.fileExists(atPath: left))
        #expect(!FileManager.default.fileExists(atPath: right))
    }

    @Test func keptWorkspacesSurviveTheRun() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              build:
                steps:
                  - |
                    echo built > output.txt
                    pwd -P > @SHARED@/workspace
            """)
        let report = try await fixture.run(LocalRun.Options(keepWorkspaces: true))
        #expect(report.status == .passed)
        let workspace = try fixture.sharedText("workspace")
        #expect(try String(contentsOfFile: workspace + "/output.txt", encoding: .utf8) == "built\n")
        #expect(try fixture.repo.git(["status", "--porcelain"]).isEmpty)
    }
}
