import Foundation
import GitKit
import Synchronization
import Testing
import TestSupport

/// libgit2's start-up call to libssh2_init is left out (CLibgit2Startup): libssh2 initialises
/// itself with its first session. A fetch from an ssh:// remote must still get that far, to
/// the SSH handshake, and fail there with a message, not crash.
@Suite struct SSHTransportTests {
    @Test func anSSHRemoteIsStillTalkedToAsFarAsTheHandshake() async throws {
        let server = try BannerServer()
        defer { server.stop() }
        let client = try GitFixture(files: ["a": "a"])
        let error = #expect(throws: GitError.self) {
            try client.open().fetch(remote: "ssh://git@127.0.0.1:\(server.port)/app.git", refspecs: [])
        }
        // libssh2's own words: it made a session (initialising itself) and began the handshake.
        #expect(error?.message.contains("failed to start SSH session") == true, "\(String(describing: error))")
        #expect(error?.message.hasPrefix("cannot fetch from 'ssh://") == true, "\(String(describing: error))")
        #expect(server.acceptedAConnection, "libgit2 never connected")
    }
}

/// A TCP server on a free port that greets like an SSH server and then talks nonsense.
final class BannerServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let accepted: Flag
    private let thread: Thread

    var acceptedAConnection: Bool { accepted.isSet }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else { throw FixtureError("cannot listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let accepted = Flag()
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
        self.accepted = accepted
        thread = Thread {
            let connection = accept(descriptor, nil, nil)
            guard connection >= 0 else { return }
            accepted.set()
            let greeting = "SSH-2.0-gitci_test\r\nnot a key exchange\r\n"
            _ = greeting.withCString { write(connection, $0, strlen($0)) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = read(connection, &buffer, buffer.count)
            close(connection)
        }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
