import Foundation
import GitKit
import Runner
import Testing
import TestSupport

/// Repositories hosted side by side (`app.git` builds, `lib.git`, `tools.git`, … are named in
/// its `repos:`), built in-process as `gitci run --commit main` builds them.
final class ReposFixture: @unchecked Sendable {
    // @unchecked: immutable paths to folders this fixture alone uses.
    let hosted = TemporaryDirectory("gitci-hosted")
    let scratch = TemporaryDirectory("gitci-scratch")
    var app: String { hosted.url("app.git") }

    func bare(_ name: String) -> String { hosted.url(name + ".git") }

    /// A commit on `main` of `name.git` (made when missing); its id.
    @discardableResult
    func commit(to name: String, _ files: [String: String]) throws -> String {
        try SubmoduleRepositories.commit(to: bare(name), files: files)
    }

    /// Commits `pipeline` as app's `.gitci.yml` (`@SCRATCH@`, `@HOSTED@` replaced), plus
    /// `files`; returns the commit.
    @discardableResult
    func pipeline(_ pipeline: String, files: [String: String] = [:]) throws -> String {
        var all = files
        all[".gitci.yml"] = expand(pipeline)
        return try SubmoduleRepositories.commit(to: app, files: all)
    }

    func expand(_ text: String) -> String {
        text.replacingOccurrences(of: "@SCRATCH@", with: scratch.path).replacingOccurrences(of: "@HOSTED@", with: hosted.path)
    }

    func git(_ arguments: [String], in directory: String) throws -> String {
        try SubmoduleRepositories.run(["git"] + arguments, in: directory)
    }

    func run(_ options: LocalRun.Options = LocalRun.Options(commit: "main", parallelism: 4)) async throws -> LocalRun.Report {
        try await LocalRun(directory: app, options: options).run(observer: SilentObserver())
    }

    func text(_ name: String) throws -> String {
        try String(contentsOfFile: scratch.url(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var mirrors: String { app + "/gitci/mirrors" }

    /// The mirror folders gitci made, by name.
    func mirrorFolders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: mirrors).filter { $0.hasSuffix(".git") }.sorted()
    }
}

@Suite struct ReposTests {
    let fixture = ReposFixture()

    @Test func aJobGetsTwoOrThreeRepositoriesCheckedOutAtTheirPinnedCommits() async throws {
        let lib = try fixture.commit(to: "lib", ["lib.txt": "lib v1\n"])
        let toolsV1 = try fixture.commit(to: "tools", ["tools.txt": "tools v1\n"])
        _ = try fixture.git(["tag", "v1", toolsV1], in: fixture.bare("tools"))
        let toolsV2 = try fixture.commit(to: "tools", ["tools.txt": "tools v2\n"])
        // docs: its default branch is trunk, behind main.
        let docsTrunk = try fixture.commit(to: "docs", ["docs.txt": "docs trunk\n"])
        _ = try fixture.git(["branch", "trunk", docsTrunk], in: fixture.bare("docs"))
        _ = try fixture.git(["symbolic-ref", "HEAD", "refs/heads/trunk"], in: fixture.bare("docs"))
        try fixture.commit(to: "docs", ["docs.txt": "docs main\n"])
        try fixture.pipeline("""
            jobs:
              two:
                repos:
                  - { url: ../lib.git, ref: main, path: vendor/lib }
                  - { url: ../tools.git, ref: v1 }
                steps:
                  - |
                    echo "$GITCI_REPO_LIB_COMMIT $GITCI_REPO_TOOLS_COMMIT" > @SCRATCH@/two-env
                    git -C vendor/lib rev-parse HEAD > @SCRATCH@/two-lib-head
                    git -C vendor/lib symbolic-ref --short HEAD > @SCRATCH@/two-lib-branch
                    git -C tools rev-parse HEAD > @SCRATCH@/two-tools-head
                    cat vendor/lib/lib.txt tools/tools.txt > @SCRATCH@/two-files
                    test -z "$(git -C vendor/lib status --porcelain)"
                    test -z "$(git -C tools status --porcelain)"
              three:
                repos:
                  - { url: @HOSTED@/lib.git, path: lib }
                  - { url: file://@HOSTED@/tools.git, ref: \(toolsV2.prefix(9)), path: deps/tools, name: new-tools }
                  - { url: ../docs.git, name: my.docs, path: docs }
                steps:
                  - |
                    echo "$GITCI_REPO_LIB_COMMIT $GITCI_REPO_NEW_TOOLS_COMMIT $GITCI_REPO_MY_DOCS_COMMIT" > @SCRATCH@/three-env
                    cat lib/lib.txt deps/tools/tools.txt docs/docs.txt > @SCRATCH@/three-files
                    git -C docs symbolic-ref --short HEAD > @SCRATCH@/three-docs-branch
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed, "\(report.jobs.map { "\($0.name): \($0.reason ?? "")" })")
        #expect(report["two"].repos == ["lib": lib, "tools": toolsV1])
        #expect(try fixture.text("two-env") == "\(lib) \(toolsV1)")
        #expect(try fixture.text("two-lib-head") == lib)
        #expect(try fixture.text("two-lib-branch") == "main")
        #expect(try fixture.text("two-tools-head") == toolsV1)
        #expect(try fixture.text("two-files") == "lib v1\ntools v1")
        #expect(report["three"].repos == ["lib": lib, "new-tools": toolsV2, "my.docs": docsTrunk])
        #expect(try fixture.text("three-env") == "\(lib) \(toolsV2) \(docsTrunk)")
        #expect(try fixture.text("three-files") == "lib v1\ntools v2\ndocs trunk")
        #expect(try fixture.text("three-docs-branch") == "trunk")
        // One mirror per URL once resolved: `../lib.git` is the absolute path's; a file:// URL is another.
        #expect(try fixture.mirrorFolders().map { $0.split(separator: "-").first.map(String.init) ?? "" } == ["docs", "lib", "tools", "tools"])
    }

    @Test func everyJobOfABuildSeesTheCommitPinnedWhenItWasPlannedThoughTheRefMoves() async throws {
        let pinned = try fixture.commit(to: "lib", ["lib.txt": "lib v1\n"])
        try fixture.pipeline("""
            jobs:
              a:
                repos: [{ url: ../lib.git, ref: main }]
                steps:
                  - |
                    echo "$GITCI_REPO_LIB_COMMIT" > @SCRATCH@/a
                    git clone -q @HOSTED@/lib.git @SCRATCH@/lib-work
                    cd @SCRATCH@/lib-work
                    echo v2 > lib.txt
                    git -c user.name=t -c user.email=t@t commit -q -am "moved on"
                    git push -q origin main
              b:
                needs: [a]
                repos: [{ url: ../lib.git, ref: main }]
                steps:
                  - |
                    echo "$GITCI_REPO_LIB_COMMIT" > @SCRATCH@/b
                    git -C lib rev-parse HEAD > @SCRATCH@/b-head
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed, "\(report.jobs.map { "\($0.name): \($0.reason ?? "")" })")
        let moved = try fixture.git(["rev-parse", "main"], in: fixture.bare("lib"))
        #expect(moved != pinned, "job a did not move lib's main")
        #expect(try fixture.text("a") == pinned)
        #expect(try fixture.text("b") == pinned)
        #expect(try fixture.text("b-head") == pinned)
        #expect(report["b"].repos == ["lib": pinned])
    }

    @Test func aMirrorIsClonedOnceAndFetchedByLaterBuilds() async throws {
        let first = try fixture.commit(to: "lib", ["lib.txt": "v1\n"])
        try fixture.pipeline("""
            jobs:
              one:
                repos: [{ url: ../lib.git }]
                steps: ['cat lib/lib.txt >> @SCRATCH@/seen']
              two:
                repos: [{ url: ../lib.git, path: other }]
                steps: ['cat other/lib.txt >> @SCRATCH@/seen']
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed)
        #expect(report["one"].repos == ["lib": first])
        let mirrors = try fixture.mirrorFolders()
        #expect(mirrors.count == 1)
        let mirror = fixture.mirrors + "/" + mirrors[0]
        // Left in the mirror: a clone would start from an empty folder.
        try Data("kept".utf8).write(to: URL(fileURLWithPath: mirror + "/gitci-test-marker"))

        let second = try fixture.commit(to: "lib", ["lib.txt": "v2\n"])
        let again = try await fixture.run()
        #expect(again.status == .passed)
        #expect(again["one"].repos == ["lib": second])
        #expect(FileManager.default.fileExists(atPath: mirror + "/gitci-test-marker"))
        #expect(try fixture.text("seen") == "v1\nv1\nv2\nv2")
        #expect(try fixture.git(["rev-parse", "main"], in: mirror) == second)
    }

    @Test func pinnedCommitsAndARecordedConfigReplaceResolution() async throws {
        let old = try fixture.commit(to: "lib", ["lib.txt": "old\n"])
        let pipeline = """
            jobs:
              build:
                repos: [{ url: ../lib.git, ref: main }]
                steps: ['echo "old config $GITCI_REPO_LIB_COMMIT" > @SCRATCH@/ran']
            """
        try fixture.pipeline(pipeline)
        let oldBlob = try #require(ObjectID(hex: try fixture.git(["rev-parse", "main:.gitci.yml"], in: fixture.app)))
        try fixture.commit(to: "lib", ["lib.txt": "new\n"])
        try fixture.pipeline(pipeline.replacingOccurrences(of: "old config", with: "new config"))

        var options = LocalRun.Options(commit: "main", parallelism: 2)
        options.pinnedRepos = ["lib": try #require(ObjectID(hex: old))]
        options.configBlob = oldBlob
        // No mirror yet: the pinned commit is fetched.
        let report = try await fixture.run(options)
        #expect(report.status == .passed, "\(report.jobs.map { "\($0.name): \($0.reason ?? "")" })")
        #expect(try fixture.text("ran") == "old config \(old)")
        #expect(report["build"].repos == ["lib": old])
        #expect(report.configBlob == oldBlob)
    }

    @Test func eachBadEntryFailsItsJobAloneNamingTheEntry() async throws {
        try fixture.commit(to: "lib", ["lib.txt": "lib\n"])
        let work = TemporaryDirectory("gitci-app-work")
        try fixture.pipeline("""
            jobs:
              good:
                repos: [{ url: ../lib.git }]
                steps: ['touch @SCRATCH@/good']
              unreachable:
                repos: [{ url: ../missing.git }]
                steps: ['touch @SCRATCH@/ran-unreachable']
              missing-ref:
                repos: [{ url: ../lib.git, ref: no-such-branch }]
                steps: ['touch @SCRATCH@/ran-missing-ref']
              parent:
                repos: [{ url: ../lib.git, path: ../x }]
                steps: ['touch @SCRATCH@/ran-parent']
              absolute:
                repos: [{ url: ../lib.git, path: /tmp/x }]
                steps: ['touch @SCRATCH@/ran-absolute']
              symlink:
                repos: [{ url: ../lib.git, path: link/lib }]
                steps: ['touch @SCRATCH@/ran-symlink']
              same-path:
                repos: [{ url: ../lib.git, path: a }, { url: ../lib.git, name: other, path: a }]
                steps: ['touch @SCRATCH@/ran-same-path']
              same-name:
                repos: [{ url: ../lib.git, path: a }, { url: ../lib.git, path: b }]
                steps: ['touch @SCRATCH@/ran-same-name']
              secret:
                repos: [{ url: "https://someone:s3cr3t-t0ken@example.invalid/x.git" }]
                steps: ['touch @SCRATCH@/ran-secret']
            """)
        // A symbolic link in the built commit's tree, pointing out of the workspace.
        _ = try fixture.git(["clone", "-q", fixture.app, work.path], in: "/")
        _ = try fixture.git(["-c", "core.symlinks=true", "-C", work.path, "status"], in: "/")
        symlink("/tmp", work.url("link"))
        _ = try fixture.git(["add", "link"], in: work.path)
        _ = try fixture.git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "link"], in: work.path)
        _ = try fixture.git(["push", "-q", "origin", "main"], in: work.path)

        let report = try await fixture.run()
        #expect(report["good"].status == .passed, "\(report["good"].reason ?? "")")
        #expect(FileManager.default.fileExists(atPath: fixture.scratch.url("good")))
        let expected: [(job: String, entry: String, says: String)] = [
            ("unreachable", "repos entry 'missing' (../missing.git): ", "no repository at"),
            ("missing-ref", "repos entry 'lib' (../lib.git): ", "no branch, tag or commit 'no-such-branch'"),
            ("parent", "repos entry 'lib' (../lib.git): ", "leaves the workspace"),
            ("absolute", "repos entry 'lib' (../lib.git): ", "is absolute"),
            ("symlink", "repos entry 'lib' (../lib.git): ", "goes through 'link', which is a symbolic link"),
            ("same-path", "repos entry 'other' (../lib.git): ", "entry 'lib' is checked out at 'a' too"),
            ("same-name", "repos entry 'lib' (../lib.git): ", "another entry has the name 'lib'"),
            ("secret", "repos entry 'x' (https://someone:***@example.invalid/x.git): ", "must not hold a password"),
        ]
        for (job, entry, says) in expected {
            let result = report[job]
            #expect(result.status == .failed, "\(job)")
            #expect(result.reason?.hasPrefix(entry) == true, "\(job): \(result.reason ?? "no reason")")
            #expect(result.reason?.contains(says) == true, "\(job): \(result.reason ?? "no reason")")
            #expect(!FileManager.default.fileExists(atPath: fixture.scratch.url("ran-" + job)), "\(job) ran its step")
            #expect(try result.log().contains(entry), "\(job)'s log does not say why")
        }
        for job in report.jobs {
            #expect(job.reason?.contains("s3cr3t") != true)
            #expect(try job.log().contains("s3cr3t") == false)
        }
    }

    @Test func aPathTakenInTheWorkspaceFailsTheJob() async throws {
        try fixture.commit(to: "lib", ["lib.txt": "lib\n"])
        try fixture.pipeline("""
            jobs:
              taken:
                repos: [{ url: ../lib.git, path: src }]
                steps: ['true']
            """, files: ["src/main.c": "int main;\n"])
        let report = try await fixture.run()
        #expect(report["taken"].status == .failed)
        #expect(report["taken"].reason?.contains("goes through 'src', which is a folder of the commit") == true, "\(report["taken"].reason ?? "")")
    }

    @Test func variableNamesKeepOnlyLettersDigitsAndUnderscores() {
        #expect(JobRepos.variableName("shared-lib") == "GITCI_REPO_SHARED_LIB_COMMIT")
        #expect(JobRepos.variableName("my.docs_2") == "GITCI_REPO_MY_DOCS_2_COMMIT")
        #expect(JobRepos.variableName("é") == "GITCI_REPO___COMMIT")
    }

    @Test func anEntrysSubmodulesAreCheckedOutAsTheJobSays() async throws {
        let nested = try fixture.commit(to: "nested", ["nested.txt": "nested\n"])
        try SubmoduleRepositories.commit(to: fixture.bare("lib"), files: ["lib.txt": "lib\n"], submodules: [("deps/nested", "../nested.git")])
        try fixture.commit(to: "nested", ["nested.txt": "moved on\n"])
        try fixture.pipeline("""
            jobs:
              with:
                repos: [{ url: ../lib.git }]
                steps:
                  - cat lib/deps/nested/nested.txt > @SCRATCH@/with
                  - git -C lib/deps/nested rev-parse HEAD > @SCRATCH@/with-head
              without:
                submodules: false
                repos: [{ url: ../lib.git }]
                steps: ['ls -A lib/deps/nested > @SCRATCH@/without']
            """)
        let report = try await fixture.run()
        #expect(report.status == .passed, "\(report.jobs.map { "\($0.name): \($0.reason ?? "")" })")
        #expect(try fixture.text("with") == "nested")
        #expect(try fixture.text("with-head") == nested)
        #expect(try fixture.text("without") == "")
    }

    @Test func aSymbolicLinkInTheWorkingTreeOnTheWayToAnEntryFailsTheJob() async throws {
        try fixture.commit(to: "lib", ["lib.txt": "lib\n"])
        // A working tree run copies files not committed: the commit's tree cannot tell.
        let runner = try RunnerFixture(pipeline: """
            jobs:
              linked:
                repos: [{ url: \(fixture.bare("lib")), path: vendor/lib }]
                steps: ['touch @SHARED@/ran']
            """)
        symlink(fixture.scratch.path, runner.repo.directory.url("vendor"))
        let report = try await runner.run()
        #expect(report["linked"].status == .failed)
        #expect(report["linked"].reason?.contains("goes through 'vendor', a symbolic link in the workspace") == true, "\(report["linked"].reason ?? "")")
        #expect(!runner.sharedFileExists("ran"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.scratch.path).isEmpty, "the checkout went through the link")
    }

    @Test func aPinnedCommitTheMirrorHoldsNeedsNoFetch() async throws {
        let old = try fixture.commit(to: "lib", ["lib.txt": "old\n"])
        try fixture.pipeline("""
            jobs:
              build:
                repos: [{ url: ../lib.git }]
                steps: ['cat lib/lib.txt > @SCRATCH@/ran']
            """)
        #expect(try await fixture.run().status == .passed)
        // The repository is gone: only a build that needs no fetch can still have it.
        try FileManager.default.moveItem(atPath: fixture.bare("lib"), toPath: fixture.hosted.url("moved.git"))
        let unpinned = try await fixture.run()
        #expect(unpinned["build"].status == .failed)
        #expect(unpinned["build"].reason?.contains("no repository at") == true, "\(unpinned["build"].reason ?? "")")

        var options = LocalRun.Options(commit: "main", parallelism: 2)
        options.pinnedRepos = ["lib": try #require(ObjectID(hex: old))]
        let pinned = try await fixture.run(options)
        #expect(pinned["build"].status == .passed, "\(pinned["build"].reason ?? "")")
        #expect(pinned["build"].repos == ["lib": old])
        #expect(try fixture.text("ran") == "old")
    }
}
