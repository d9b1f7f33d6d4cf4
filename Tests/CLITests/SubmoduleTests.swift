import Foundation
import Testing
import TestSupport

/// Submodules of a bare repository's commit, with relative URLs (`../lib.git`) between
/// repositories hosted side by side, as `gitci run --commit` builds them: at the commits the
/// tree records, each a git checkout of its own, per job as `submodules:` says.
@Suite struct SubmoduleTests {
    let hosted = TemporaryDirectory("gitci-hosted")
    let scratch = TemporaryDirectory("gitci-scratch")
    var app: String { hosted.url("app.git") }

    static let pipeline = """
        jobs:
          default:
            steps:
              - |
                cat lib/lib.txt > @SCRATCH@/default-lib
                git -C lib rev-parse HEAD > @SCRATCH@/default-head
                ls -A lib/deps/nested > @SCRATCH@/default-nested
                test -z "$(git status --porcelain)"
                test -z "$(git -C lib status --porcelain)"
          deep:
            submodules: recursive
            steps:
              - |
                cat lib/deps/nested/nested.txt > @SCRATCH@/deep-nested
                git -C lib/deps/nested rev-parse HEAD > @SCRATCH@/deep-head
                test -z "$(git status --porcelain)"
          none:
            submodules: false
            steps:
              - ls -A lib > @SCRATCH@/none-lib
        """

    /// `nested.git` ← `lib.git` (at `deps/nested`) ← `app.git` (at `lib`); lib and nested
    /// move on after app recorded them. Returns the commits app recorded.
    @discardableResult
    func makeRepositories() throws -> (lib: String, nested: String) {
        let nested = try SubmoduleRepositories.commit(to: hosted.url("nested.git"), files: ["nested.txt": "nested v1\n"])
        let lib = try SubmoduleRepositories.commit(to: hosted.url("lib.git"), files: ["lib.txt": "lib v1\n"],
                                                   submodules: [("deps/nested", "../nested.git")])
        try SubmoduleRepositories.commit(to: app, files: [".gitci.yml": Self.pipeline.replacingOccurrences(of: "@SCRATCH@", with: scratch.path)],
                                         submodules: [("lib", "../lib.git")])
        try SubmoduleRepositories.commit(to: hosted.url("lib.git"), files: ["lib.txt": "lib v2\n"])
        try SubmoduleRepositories.commit(to: hosted.url("nested.git"), files: ["nested.txt": "nested v2\n"])
        return (lib, nested)
    }

    func scratchText(_ name: String) throws -> String {
        try String(contentsOfFile: scratch.url(name), encoding: .utf8).trimmingCharacters(in: .newlines)
    }

    @Test func aBareRepositorysSubmodulesAreCheckedOutAtTheRecordedCommits() throws {
        let recorded = try makeRepositories()
        let result = try GitciBinary.run(["run", "--commit", "main"], in: app)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try scratchText("default-lib") == "lib v1")
        #expect(try scratchText("default-head") == recorded.lib)
        // `true` checks out one level: the submodule's own submodule stays an empty folder.
        #expect(try scratchText("default-nested") == "")
        #expect(try scratchText("deep-nested") == "nested v1")
        #expect(try scratchText("deep-head") == recorded.nested)
        #expect(try scratchText("none-lib") == "")
        // One mirror per submodule URL, in the state folder, named without the URL's odd characters.
        let mirrors = try FileManager.default.contentsOfDirectory(atPath: app + "/gitci/mirrors").filter { $0.hasSuffix(".git") }
        #expect(mirrors.sorted().map { $0.split(separator: "-").first.map(String.init) ?? "" } == ["lib", "nested"])
    }

    @Test func aSecondBuildFetchesOnlyWhatItsMirrorLacks() throws {
        try makeRepositories()
        #expect(try GitciBinary.run(["run", "--commit", "main", "default"], in: app).status == 0)
        // App records lib's newer commit: the mirror fetches it.
        let newer = try SubmoduleRepositories.run(["git", "rev-parse", "main"], in: hosted.url("lib.git"))
        let work = TemporaryDirectory("gitci-app-work")
        try SubmoduleRepositories.run(["git", "clone", "-q", app, work.path], in: "/")
        try SubmoduleRepositories.run(["git", "update-index", "--add", "--cacheinfo", "160000,\(newer),lib"], in: work.path)
        try SubmoduleRepositories.run(["git", "commit", "-q", "-m", "newer lib"], in: work.path)
        try SubmoduleRepositories.run(["git", "push", "-q", "origin", "main"], in: work.path)
        let result = try GitciBinary.run(["run", "--commit", "main", "default"], in: app)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try scratchText("default-lib") == "lib v2")
        #expect(try scratchText("default-head") == newer)
    }

    @Test func aSubmoduleThatCannotBeFetchedFailsItsJobNamingIt() throws {
        try makeRepositories()
        try SubmoduleRepositories.commit(to: app, files: [".gitmodules": "[submodule \"lib\"]\n\tpath = lib\n\turl = ../missing.git\n"])
        let result = try GitciBinary.run(["run", "--commit", "main", "--json"], in: app)
        #expect(result.status == 1)
        let jobs = jobsByName(try jsonObject(result.stdout))
        #expect(jobs["default"]?["status"] as? String == "failed")
        #expect(jobs["deep"]?["status"] as? String == "failed")
        // A job that leaves submodules alone is not affected.
        #expect(jobs["none"]?["status"] as? String == "passed")
        let log = try String(contentsOfFile: try #require(jobs["default"]?["log"] as? String), encoding: .utf8)
        #expect(log.contains("submodule lib (\(hosted.path)/missing.git)"), "\(log)")
        let text = try GitciBinary.run(["run", "--commit", "main", "default"], in: app)
        #expect(text.stdout.contains("submodule lib (\(hosted.path)/missing.git)"), "\(text.stdout)")
    }

    @Test func aClonesRelativeSubmoduleURLsResolveAgainstItsOrigin() throws {
        let recorded = try makeRepositories()
        // The clone is nowhere near lib.git: `../lib.git` means beside its origin, as for git.
        let clone = TemporaryDirectory("gitci-clone")
        try SubmoduleRepositories.run(["git", "clone", "-q", app, clone.path], in: "/")
        let result = try GitciBinary.run(["run", "--commit", "HEAD", "default"], in: clone.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(try scratchText("default-head") == recorded.lib)
    }

    /// libgit2's checkout itself refuses such a `.gitmodules`, whatever `submodules:` says.
    @Test func aSubmodulePathLeavingTheWorkspaceFailsTheJobNamingIt() throws {
        try makeRepositories()
        try SubmoduleRepositories.commit(to: app, files: [".gitmodules": "[submodule \"lib\"]\n\tpath = ../../escape\n\turl = ../lib.git\n"])
        let result = try GitciBinary.run(["run", "--commit", "main", "--json"], in: app)
        #expect(result.status == 1)
        let jobs = jobsByName(try jsonObject(result.stdout))
        #expect(jobs.values.map { $0["status"] as? String } == ["failed", "failed", "failed"])
        let log = try String(contentsOfFile: try #require(jobs["default"]?["log"] as? String), encoding: .utf8)
        #expect(log.contains("invalid value for submodule 'path' property: '../../escape'"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: hosted.url("escape")))
    }

    // MARK: - Local URLs reach no other repository

    /// App (in `hosted`) names a repository elsewhere on the machine; returns the log of
    /// `default` and the run's exit status.
    func buildNaming(_ url: String) throws -> (status: Int32, log: String) {
        try SubmoduleRepositories.commit(to: app, files: [".gitmodules": "[submodule \"lib\"]\n\tpath = lib\n\turl = \(url)\n"])
        let result = try GitciBinary.run(["run", "--commit", "main", "default", "--json"], in: app)
        let jobs = jobsByName(try jsonObject(result.stdout))
        let log = try String(contentsOfFile: try #require(jobs["default"]?["log"] as? String), encoding: .utf8)
        return (result.status, log)
    }

    @Test func aLocalSubmoduleURLOutsideTheRepositorysFolderFailsTheJobSayingHowToAllowIt() throws {
        let recorded = try makeRepositories()
        let elsewhere = TemporaryDirectory("gitci-elsewhere")
        try SubmoduleRepositories.run(["git", "clone", "-q", "--bare", hosted.url("lib.git"), elsewhere.url("secret.git")], in: "/")
        let secret = elsewhere.url("secret.git")
        let real = try #require(realpath(elsewhere.path, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) })
        for url in [secret, "file://" + secret, String(repeating: "../", count: app.split(separator: "/").count) + String(secret.dropFirst())] {
            let refused = try buildNaming(url)
            #expect(refused.status == 1, "\(url): \(refused.log)")
            #expect(refused.log.contains("submodule lib ("), "\(refused.log)")
            #expect(refused.log.contains("outside the folder holding this repository"), "\(refused.log)")
            #expect(refused.log.contains("config --add gitci.submoduleRoots \(real)"), "\(refused.log)")
        }
        // Nothing of it was fetched.
        let mirrors = (try? FileManager.default.contentsOfDirectory(atPath: app + "/gitci/mirrors")) ?? []
        #expect(!mirrors.contains { $0.hasPrefix("secret") }, "\(mirrors)")

        try SubmoduleRepositories.run(["git", "config", "--add", "gitci.submoduleRoots", elsewhere.path], in: app)
        let allowed = try buildNaming(secret)
        #expect(allowed.status == 0, "\(allowed.log)")
        #expect(try scratchText("default-head") == recorded.lib)
    }

    @Test func aSymbolicLinkBesideTheRepositoryDoesNotLetASubmoduleOut() throws {
        try makeRepositories()
        let elsewhere = TemporaryDirectory("gitci-elsewhere")
        try SubmoduleRepositories.run(["git", "clone", "-q", "--bare", hosted.url("lib.git"), elsewhere.url("secret.git")], in: "/")
        try FileManager.default.createSymbolicLink(atPath: hosted.url("link.git"), withDestinationPath: elsewhere.url("secret.git"))
        let refused = try buildNaming("../link.git")
        #expect(refused.status == 1, "\(refused.log)")
        #expect(refused.log.contains("submodule lib (\(hosted.path)/link.git)"), "\(refused.log)")
        #expect(refused.log.contains("outside the folder holding this repository"), "\(refused.log)")
        // A sibling reached by an absolute path or file:// is as good as `../lib.git`.
        #expect(try buildNaming("file://" + hosted.url("lib.git")).status == 0)
        #expect(try buildNaming(hosted.url("lib.git")).status == 0)
    }
}
