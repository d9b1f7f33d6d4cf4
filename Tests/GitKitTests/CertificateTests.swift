import CLibgit2Startup
import Foundation
import GitKit
import Testing
import TestSupport

/// libgit2's start-up load of the CA bundle is deferred to the first https operation
/// (CLibgit2Startup, Libgit2.loadCertificates): these check that it happens then and that TLS
/// still verifies.
@Suite struct CertificateTests {
    static let bundle = "/etc/ssl/certs/ca-certificates.crt"

    /// Debian's libgit2 loads the bundle through mbedTLS; with another TLS library nothing is
    /// deferred, and that is what to expect then. mbedTLS is linked in (Package.swift), so
    /// libgit2's own description of its static build says which it is.
    static var libgit2UsesMbedTLS: Bool {
        let libraries = try? Shell.run(["pkg-config", "--libs", "--static", "libgit2"])
        return libraries?.stdout.split(separator: " ").contains("-lmbedtls") == true
    }

    /// Only an https URL needs them: a path, `file://` or ssh fetches without (Libgit2.loadCertificates).
    @Test func theSystemBundleIsLoadedBeforeTheFirstHTTPSFetch() throws {
        let client = try GitFixture(files: ["a": "a"])
        // Nothing listens there: the fetch fails after the certificates were asked for.
        _ = try? client.open().fetch(remote: "https://127.0.0.1:9/app.git", refspecs: [])
        if Self.libgit2UsesMbedTLS && FileManager.default.fileExists(atPath: Self.bundle) {
            #expect(Libgit2.certificates == .loaded(Self.bundle))
        } else {
            #expect(Libgit2.certificates == .notDeferred)
        }
    }

    @Test func aCertificateNoAuthorityVouchesForIsStillRefused() async throws {
        let folder = TemporaryDirectory("gitci-tls")
        let key = folder.url("key.pem"), certificate = folder.url("cert.pem")
        try Shell.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                       "-days", "1", "-keyout", key, "-out", certificate])
        let port = Int.random(in: 20_000...60_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["openssl", "s_server", "-quiet", "-accept", "\(port)", "-cert", certificate, "-key", key]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // s_server ignores SIGTERM.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        #expect(await Poll.until(timeout: 10) { Self.accepts(port) }, "openssl s_server did not start")

        let client = try GitFixture(files: ["a": "a"])
        let error = #expect(throws: GitError.self) {
            try client.open().fetch(remote: "https://127.0.0.1:\(port)/app.git", refspecs: [])
        }
        // The handshake got as far as the server's certificate, which nothing vouches for.
        #expect(error?.message.lowercased().contains("certificate") == true, "\(String(describing: error))")
    }

    static func accepts(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
