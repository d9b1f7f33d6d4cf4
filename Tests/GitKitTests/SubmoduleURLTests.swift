import Foundation
@testable import GitKit
import Testing

/// Relative submodule URLs resolve as git resolves them against the superproject's URL or
/// path; paths from `.gitmodules` never leave the working tree.
@Suite struct SubmoduleURLTests {
    @Test(arguments: [
        ("../lib.git", "/srv/git/app.git", "/srv/git/lib.git"),
        ("../lib.git", "/srv/git/app.git/", "/srv/git/lib.git"),
        ("./lib.git", "/srv/git/app.git", "/srv/git/app.git/lib.git"),
        ("../../other/lib.git", "/srv/git/app.git", "/srv/other/lib.git"),
        ("../lib.git", "https://example.com/org/app.git", "https://example.com/org/lib.git"),
        ("../lib.git", "git@example.com:org/app.git", "git@example.com:org/lib.git"),
        ("../../lib.git", "git@example.com:org/app.git", "git@example.com:lib.git"),
        ("https://example.com/lib.git", "/srv/git/app.git", "https://example.com/lib.git"),
        ("/srv/git/lib.git", "/elsewhere/app.git", "/srv/git/lib.git"),
    ])
    func relativeURLs(url: String, base: String, expected: String) {
        #expect(Submodule.resolve(url, against: base) == expected)
    }

    @Test(arguments: [
        ("lib", true), ("deps/lib", true), ("../outside", false), ("deps/../../x", false),
        ("/etc", false), (".git", false), ("deps/.GIT/hooks", false), ("./lib", false),
    ])
    func pathsStayInTheWorkingTree(path: String, safe: Bool) {
        #expect(Repository.isSafeSubmodulePath(path) == safe)
    }

    @Test(arguments: [
        ("/srv/git/lib.git", "/srv/git/lib.git"),
        ("file:///srv/git/lib.git", "/srv/git/lib.git"),
        ("file://localhost/srv/my%20lib.git", "/srv/my lib.git"),
        ("file://otherhost/srv/lib.git", "file://otherhost/srv/lib.git"),
        ("https://example.com/lib.git", nil),
        ("ssh://git@example.com/lib.git", nil),
        ("git@example.com:org/lib.git", nil),
    ] as [(String, String?)])
    func localPaths(url: String, expected: String?) {
        #expect(Submodule.localPath(of: url) == expected)
    }

    @Test func aRelativePathIsLocalToTheCurrentDirectory() {
        #expect(Submodule.localPath(of: "lib.git") == FileManager.default.currentDirectoryPath + "/lib.git")
    }
}
