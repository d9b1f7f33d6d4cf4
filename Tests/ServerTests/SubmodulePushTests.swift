import Foundation
import Testing
import TestSupport

/// A push to an installed bare repository whose commit holds a submodule by relative URL:
/// built on the server as locally, the submodule checked out at the recorded commit, from a
/// mirror in the state folder.
@Suite struct SubmodulePushTests {
    @Test func aPushedCommitWithASubmoduleBuildsOnTheServer() throws {
        let fixture = try ServerFixture(pipeline: nil)
        // The library sits beside the server repository, as on a server hosting both.
        let library = fixture.serverPath + "-lib.git"
        defer { try? FileManager.default.removeItem(atPath: library) }
        let recorded = try SubmoduleRepositories.commit(to: library, files: ["lib.txt": "lib v1\n"])
        try SubmoduleRepositories.commit(to: library, files: ["lib.txt": "lib v2\n"])
        let relative = "../" + (library as NSString).lastPathComponent
        try fixture.clone.write(".gitmodules", "[submodule \"lib\"]\n\tpath = lib\n\turl = \(relative)\n")
        try fixture.clone.write(".gitci.yml", fixture.expand("""
            jobs:
              build:
                steps:
                  - cat lib/lib.txt > {scratch}/lib
                  - git -C lib rev-parse HEAD > {scratch}/head
                  - test -z "$(git status --porcelain)"
            """))
        try fixture.clone.git(["add", ".gitmodules", ".gitci.yml"])
        // The gitlink alone, without a checkout of the library in the working copy.
        try fixture.clone.git(["update-index", "--add", "--cacheinfo", "160000,\(recorded),lib"])
        try fixture.clone.git(["commit", "-q", "-m", "with a submodule"])
        let commit = try fixture.clone.git(["rev-parse", "HEAD"])
        try fixture.pushOK(["origin", "main"])
        try fixture.drain()

        #expect(try fixture.pipelineRecords(commit).map { $0["status"] as? String } == ["passed"],
                "\((try? fixture.log(of: commit, job: "build")) ?? "")")
        #expect(try String(contentsOfFile: fixture.scratch.url("lib"), encoding: .utf8) == "lib v1\n")
        #expect(try String(contentsOfFile: fixture.scratch.url("head"), encoding: .utf8) == recorded + "\n")
        let mirrors = try FileManager.default.contentsOfDirectory(atPath: fixture.stateFolder + "/mirrors")
        #expect(mirrors.contains { $0.hasSuffix(".git") && $0.hasPrefix((library as NSString).lastPathComponent.dropLast(4) + "-") })
    }
}
