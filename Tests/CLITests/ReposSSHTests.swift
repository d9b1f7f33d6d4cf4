import Foundation
import Testing
import TestSupport

/// `repos:` entries fetched over ssh from a real sshd on loopback (run as the current user):
/// the key from `gitci.sshKey` or the ssh agent, the host's key checked against the
/// `known_hosts` of the HOME gitci runs with, an unknown or changed host refused.
@Suite(.serialized) struct ReposSSHTests {
    let server: SSHServer
    let app: String
    let lib: String

    init() async throws {
        server = try await SSHServer()
        lib = try SubmoduleRepositories.commit(to: server.folder.url("lib.git"), files: ["lib.txt": "over ssh\n"])
        let url = "ssh://\(SSHServer.user)@127.0.0.1:\(server.port)\(server.folder.url("lib.git"))"
        app = server.folder.url("app.git")
        try SubmoduleRepositories.commit(to: app, files: [".gitci.yml": """
            jobs:
              build:
                repos: [{ url: "\(url)" }]
                steps: ['test "$(cat lib/lib.txt)" = "over ssh"']
              again:
                matrix: { n: ["1", "2"] }
                repos: [{ url: "\(url)", ref: main, path: other }]
                steps: ['test "$(cat other/lib.txt)" = "over ssh"']
            """])
    }

    /// `gitci run --commit main` in app, with HOME (and so known_hosts) the server's test home.
    func run(agent: String = "") throws -> (status: Int32, reason: String, repos: [String: String]?) {
        let result = try GitciBinary.run(["run", "--commit", "main", "--json"], in: app,
                                         environment: ["HOME": server.home, "SSH_AUTH_SOCK": agent], timeout: 120)
        let job = jobsByName(try jsonObject(result.stdout))["build"]
        return (result.status, job?["reason"] as? String ?? "", job?["repos"] as? [String: String])
    }

    @Test func aKeyFromGitConfigFetchesFromAKnownHost() throws {
        defer { server.stop() }
        try server.trustHost()
        try SubmoduleRepositories.run(["git", "config", "gitci.sshKey", server.userKey], in: app)
        let result = try run()
        #expect(result.status == 0, "\(result.reason)")
        #expect(result.repos == ["lib": lib])
        // Three jobs, two refs, one URL: one fetch (one ssh login) per build.
        #expect(server.logins == 1, "\(server.log())")
        #expect(try run().status == 0)
        #expect(server.logins == 2, "\(server.log())")
    }

    @Test func aKeyFromTheAgentFetchesFromAKnownHost() throws {
        defer { server.stop() }
        try server.trustHost()
        let socket = server.folder.url("agent.sock")
        // Daemonized (SSHServer says why), and spawned without Foundation: the daemon keeps the
        // descriptors Foundation's Process watches to see its child end.
        let output = server.folder.url("agent.out")
        let status = SSHServer.spawnAndWait(["/usr/bin/ssh-agent", "-s", "-a", socket], output: output)
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let pid = printed.components(separatedBy: "SSH_AGENT_PID=").dropFirst().first.flatMap { Int32($0.prefix { $0.isNumber }) }
        defer { if let pid { kill(pid, SIGKILL) } }
        #expect(status == 0 && pid != nil, "\(printed)")
        let added = try Shell.run(["ssh-add", server.userKey], environment: ["SSH_AUTH_SOCK": socket])
        #expect(added.status == 0, "\(added.stderr)")
        let result = try run(agent: socket)
        #expect(result.status == 0, "\(result.reason)")
        #expect(result.repos == ["lib": lib])
    }

    @Test func anUnknownOrChangedHostIsRefused() throws {
        defer { server.stop() }
        try SubmoduleRepositories.run(["git", "config", "gitci.sshKey", server.userKey], in: app)
        let unknown = try run()
        #expect(unknown.status == 1)
        #expect(unknown.reason.hasPrefix("repos entry 'lib' (ssh://"), "\(unknown.reason)")
        #expect(unknown.reason.contains("the ssh host key of 127.0.0.1 is not in known_hosts"), "\(unknown.reason)")
        #expect(unknown.reason.contains("ssh-keyscan -p \(server.port) 127.0.0.1"), "\(unknown.reason)")
        #expect(server.logins == 0, "a key was offered to an unknown host")

        // Another key recorded for the host: a changed host is no better than an unknown one.
        try server.trustHost(key: server.userKey + ".pub")
        let changed = try run()
        #expect(changed.status == 1)
        #expect(changed.reason.contains("the ssh host key of 127.0.0.1 is not in known_hosts (or does not match it)"), "\(changed.reason)")
    }
}

/// sshd on a free loopback port, with its own host key, one user key allowed, and a test HOME.
final class SSHServer: @unchecked Sendable {
    // @unchecked: immutable after init; its sshd is stopped by the test, or when it is released.
    let folder = TemporaryDirectory("gitci-ssh")
    let port: Int
    var home: String { folder.url("home") }
    var userKey: String { folder.url("user_key") }

    static var user: String { NSUserName() }

    init() async throws {
        for name in ["host_key", "user_key"] {
            try SubmoduleRepositories.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", folder.url(name)], in: folder.path)
        }
        try FileManager.default.copyItem(atPath: folder.url("user_key.pub"), toPath: folder.url("authorized_keys"))
        port = Self.freePort()
        try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
        try """
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(folder.url("host_key"))
            AuthorizedKeysFile \(folder.url("authorized_keys"))
            PidFile \(folder.url("sshd.pid"))
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password

            """.write(toFile: folder.url("sshd_config"), atomically: true, encoding: .utf8)
        // sshd started as root wants its privilege separation folder, which a machine without
        // a running sshd may lack.
        if getuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        // Daemonized, its pid in its PidFile: a long-lived child of Foundation's Process keeps
        // later Processes of the test run from being seen to exit.
        let started = try Shell.run(["/usr/sbin/sshd", "-E", folder.url("sshd.log"), "-f", folder.url("sshd_config")], timeout: 30)
        guard started.status == 0, await Poll.until(timeout: 20, { self.log().contains("Server listening") }) else {
            stop()
            throw FixtureError("sshd did not start: \(started.stderr)\(log())")
        }
    }

    /// Writes known_hosts with `key` (the server's own host key unless told) for its address.
    func trustHost(key: String? = nil) throws {
        let text = try String(contentsOfFile: key ?? folder.url("host_key.pub"), encoding: .utf8)
        let parts = text.split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(parts)\n".write(toFile: home + "/.ssh/known_hosts", atomically: true, encoding: .utf8)
    }

    /// How many times a client logged in.
    var logins: Int { log().components(separatedBy: "Accepted publickey").count - 1 }

    func log() -> String {
        (try? String(contentsOfFile: folder.url("sshd.log"), encoding: .utf8)) ?? ""
    }

    /// Stops the sshd this server started (by the pid it wrote), once.
    func stop() {
        guard let text = try? String(contentsOfFile: folder.url("sshd.pid"), encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGTERM)
        try? FileManager.default.removeItem(atPath: folder.url("sshd.pid"))
    }

    deinit { stop() }

    /// Runs `arguments` (an absolute program path first) with its output to the file `output`,
    /// and waits for it; its exit status.
    static func spawnAndWait(_ arguments: [String], output: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return (status >> 8) & 0xff
    }

    /// A port nothing listens on now: the kernel's pick for a socket bound to port 0.
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
