import Foundation
import Runner
import Testing
import TestSupport

/// A commit's workspace is a git working tree of that commit, as a step's own `git` sees it:
/// HEAD at the commit, on its branch, with the tags, clean; outside the repository; and what a
/// step writes there stays there.
@Suite struct GitCheckoutTests {
    /// Runs `script` as the only step of job `inspect` at `revision` and requires it to pass.
    static func inspect(_ fixture: RunnerFixture, at revision: String) async throws -> LocalRun.Report {
        let report = try await fixture.run(LocalRun.Options(commit: revision, parallelism: 1))
        let log = try report.jobs.first?.log() ?? ""
        #expect(report.status == .passed, "\(log)")
        return report
    }

    static func fixture(steps: String, matrix: String = "") throws -> RunnerFixture {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              inspect:
            \(matrix)
                steps:
                  - |
            \(steps.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
            """, files: ["src/code.txt": "code\n", "pyproject.toml": "[project]\nname = \"demo\"\n"])
        try fixture.repo.git(["tag", "-a", "v1.0", "-m", "release 1.0"])
        try fixture.repo.git(["tag", "light"])
        return fixture
    }

    @Test func aStepSeesAGitCheckoutOfTheCommitOnItsBranch() async throws {
        let fixture = try Self.fixture(steps: """
            git rev-parse HEAD > @SHARED@/head
            echo "$GITCI_COMMIT" > @SHARED@/commit
            git symbolic-ref HEAD > @SHARED@/branch
            git describe --tags > @SHARED@/describe
            git tag -l > @SHARED@/tags
            git diff --exit-code
            git diff --cached --exit-code
            git status --porcelain --untracked-files=all > @SHARED@/status
            git cat-file -p HEAD:src/code.txt > @SHARED@/blob
            """)
        try fixture.repo.commit(["src/code.txt": "code 2\n"], message: "after the tag")
        _ = try await Self.inspect(fixture, at: "main")
        let tip = try fixture.repo.git(["rev-parse", "main"])
        #expect(try fixture.sharedText("head") == tip)
        #expect(try fixture.sharedText("commit") == tip)
        #expect(try fixture.sharedText("branch") == "refs/heads/main")
        #expect(try fixture.sharedText("describe") == "v1.0-1-g" + String(tip.prefix(7)))
        #expect(try fixture.sharedText("tags") == "light\nv1.0")
        #expect(try fixture.sharedText("status") == "")
        #expect(try fixture.sharedText("blob") == "code 2")
    }

    @Test func aCommitThatIsNoBranchTipHasItsHeadDetached() async throws {
        let fixture = try Self.fixture(steps: """
            git rev-parse HEAD > @SHARED@/head
            git symbolic-ref -q HEAD > @SHARED@/branch || echo detached > @SHARED@/branch
            git describe --tags > @SHARED@/describe
            test -z "$(git status --porcelain)"
            """)
        let tagged = try fixture.repo.git(["rev-parse", "HEAD"])
        try fixture.repo.commit(["later.txt": "later\n"])
        _ = try await Self.inspect(fixture, at: tagged)
        #expect(try fixture.sharedText("head") == tagged)
        #expect(try fixture.sharedText("branch") == "detached")
        #expect(try fixture.sharedText("describe") == "v1.0")
    }

    /// Debian's setuptools-scm (`make deps` installs it), with Debian's interpreter: a
    /// python3 earlier on PATH may lack it.
    @Test func setuptoolsSCMReadsTheVersionFromTheTag() async throws {
        let fixture = try Self.fixture(steps: """
            /usr/bin/python3 -c 'from setuptools_scm import get_version; print(get_version())' > @SHARED@/version
            """)
        _ = try await Self.inspect(fixture, at: "main")
        #expect(try fixture.sharedText("version") == "1.0")
    }

    @Test func refsAndObjectsAStepWritesStayInItsWorkspace() async throws {
        let fixture = try Self.fixture(steps: """
            echo changed > src/code.txt
            echo new > new.txt
            git add -A
            git -c user.name=step -c user.email=step@example.com commit -q -m 'made by a step'
            git tag made-by-step
            git update-ref refs/heads/main HEAD
            git update-ref refs/heads/other HEAD
            git -c user.name=step -c user.email=step@example.com tag -a v9.9 -m 'forged'
            git rev-parse HEAD > @SHARED@/made
            """)
        let refsBefore = try fixture.repo.git(["for-each-ref", "--format=%(refname) %(objectname)"])
        let objectsBefore = try fixture.repo.git(["count-objects", "-v"])
        _ = try await Self.inspect(fixture, at: "main")
        let made = try fixture.sharedText("made")
        #expect(made.count == 40)
        #expect(try fixture.repo.git(["for-each-ref", "--format=%(refname) %(objectname)"]) == refsBefore)
        #expect(try fixture.repo.git(["count-objects", "-v"]) == objectsBefore)
        let lookup = try Shell.run(["git", "cat-file", "-e", made], in: fixture.repo.path)
        #expect(lookup.status != 0)
        #expect(try fixture.repo.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func theWorkspaceIsOutsideTheRepositoryAndItsNameHasNoEqualsSign() async throws {
        let fixture = try Self.fixture(steps: """
            echo "$GITCI_WORKSPACE" > @SHARED@/variable
            pwd -P > @SHARED@/workspace
            git -C .. rev-parse --absolute-git-dir > @SHARED@/above 2>&1 || echo none >> @SHARED@/above
            cat .git/objects/info/alternates > @SHARED@/alternates
            """, matrix: "    matrix: {cc: [gcc]}")
        let report = try await Self.inspect(fixture, at: "main")
        #expect(report.jobs.map(\.name) == ["inspect (cc=gcc)"])
        let workspace = try fixture.sharedText("workspace")
        #expect(try fixture.sharedText("variable") == workspace)
        let home = try #require(realpath(TestHome.path, nil).map { String(cString: $0) })
        #expect(workspace.hasPrefix(home + "/workspaces/"))
        #expect(!workspace.contains("="))
        #expect((workspace as NSString).lastPathComponent == "001-inspect__cc_gcc_")
        #expect(!workspace.hasPrefix(fixture.repo.path))
        // git finds no repository above the workspace: not the built one, whose objects are
        // borrowed read-only through alternates.
        #expect(try fixture.sharedText("above").hasSuffix("none"))
        let gitDirectory = try fixture.repo.git(["rev-parse", "--absolute-git-dir"])
        let objects = try #require(realpath(gitDirectory + "/objects", nil).map { String(cString: $0) })
        #expect(try fixture.sharedText("alternates") == objects)
        // Removed after the run, with the run's folder.
        #expect(!FileManager.default.fileExists(atPath: (workspace as NSString).deletingLastPathComponent))
    }

    @Test func aWorkingTreeRunHasAGitDirectoryAtItsBaseShowingTheChanges() async throws {
        let fixture = try RunnerFixture(pipeline: """
            jobs:
              inspect:
                steps:
                  - |
                    git rev-parse HEAD > @SHARED@/head
                    git symbolic-ref HEAD > @SHARED@/branch
                    git status --porcelain > @SHARED@/status
                    git diff --name-only > @SHARED@/diff
            """, files: ["kept.txt": "kept\n", "changed.txt": "old\n"])
        try fixture.repo.write("changed.txt", "new\n")
        try fixture.repo.write("fresh.txt", "untracked\n")
        let report = try await fixture.run(LocalRun.Options(parallelism: 1))
        #expect(report.status == .passed)
        #expect(try fixture.sharedText("head") == fixture.repo.git(["rev-parse", "HEAD"]))
        #expect(try fixture.sharedText("branch") == "refs/heads/main")
        #expect(try fixture.sharedText("status") == " M changed.txt\n?? fresh.txt")
        #expect(try fixture.sharedText("diff") == "changed.txt")
    }
}
