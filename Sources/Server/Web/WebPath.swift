/// The web UI's URLs, built in one place: every value from a repository (names of branches,
/// jobs, tests) is percent-encoded into a path segment or a query value, so that a name with
/// `/`, `?`, `#` or spaces still leads where it says.
enum WebPath {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func encode(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            if unreserved.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    /// A branch keeps its slashes as path separators (`/repos/app/branches/feature/login`).
    static func encodeBranch(_ branch: String) -> String {
        branch.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    static func repository(_ repo: String) -> String { "/repos/\(encode(repo))" }
    static func branch(_ repo: String, _ branch: String) -> String { "\(repository(repo))/branches/\(encodeBranch(branch))" }
    static func commit(_ repo: String, _ commit: String) -> String { "\(repository(repo))/commits/\(encode(commit))" }
    static func job(_ repo: String, _ commit: String, _ job: String) -> String { "\(self.commit(repo, commit))/jobs/\(encode(job))" }
    static func tests(_ repo: String, _ commit: String) -> String { "\(self.commit(repo, commit))/tests" }
    static func artifact(_ repo: String, _ commit: String, job: String, name: String) -> String {
        "\(self.job(repo, commit, job))/artifacts/\(encode(name))"
    }
    static func testHistory(_ repo: String, suite: String, name: String) -> String {
        "\(repository(repo))/tests?suite=\(encode(suite))&name=\(encode(name))"
    }
    static func badge(_ repo: String, _ branch: String) -> String { "/badge/\(encode(repo))/\(encodeBranch(branch)).svg" }
}
