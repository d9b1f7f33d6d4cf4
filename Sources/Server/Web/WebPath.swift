import Hummingbird

/// The web UI's URLs, built in one place: every value from a repository (names of branches,
/// jobs, tests) is percent-encoded into a path segment or a query value, so that a name with
/// `/`, `?`, `#` or spaces still leads where it says.
enum WebPath {
    static func encode(_ value: String) -> String {
        if value.utf8.allSatisfy(isUnreserved) { return value }
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(value.utf8.count * 3)
        for byte in value.utf8 {
            if isUnreserved(byte) {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
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

    /// A path segment of the request (`:job`, `:rev`) as the name it encodes: a job named
    /// `test (python=3.12)` arrives as `test%20(python%3D3.12)`.
    static func segment(_ name: String, of context: BasicRequestContext) throws -> String {
        let raw = context.parameters.get(name) ?? ""
        guard let decoded = raw.removingPercentEncoding else {
            throw HTTPError(.badRequest, message: "the \(name) in the address is not valid percent-encoding")
        }
        return decoded
    }

    /// `name`'s value in the request's query, as a form sends it (`+` for a space,
    /// percent-encoding); nil when absent.
    static func query(_ name: String, of request: Request) -> String? {
        request.uri.query.flatMap { FormBody.parse($0)[name] }
    }
}
