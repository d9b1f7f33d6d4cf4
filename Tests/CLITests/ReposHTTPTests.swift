import Foundation
import Testing
import TestSupport

/// `repos:` entries fetched over smart HTTP from `git http-backend` behind basic
/// authentication (plain http on loopback: https takes the same credentials, and no TLS
/// server is at hand): credentials from `gitci.credentials` or from git's credential helpers,
/// refused ones and missing ones said clearly, the password never shown.
@Suite(.serialized) struct ReposHTTPTests {
    let folder = TemporaryDirectory("gitci-http")
    let server: HTTPGitServer
    let app: String
    let lib: String
    var home: String { folder.url("home") }
    var url: String { "http://127.0.0.1:\(server.port)/lib.git" }

    init() async throws {
        server = try await HTTPGitServer(root: folder.path, user: "builder", password: "s3cret-pass")
        lib = try SubmoduleRepositories.commit(to: folder.url("lib.git"), files: ["lib.txt": "over http\n"])
        app = folder.url("app.git")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try SubmoduleRepositories.commit(to: app, files: [".gitci.yml": """
            jobs:
              build:
                repos: [{ url: "http://127.0.0.1:\(server.port)/lib.git" }]
                steps: ['test "$(cat lib/lib.txt)" = "over http"']
            """])
    }

    func run() throws -> (status: Int32, reason: String, repos: [String: String]?) {
        let result = try GitciBinary.run(["run", "--commit", "main", "--json"], in: app, environment: ["HOME": home], timeout: 120)
        let job = jobsByName(try jsonObject(result.stdout))["build"]
        #expect(!result.stdout.contains("s3cret") && !result.stderr.contains("s3cret"))
        return (result.status, job?["reason"] as? String ?? "", job?["repos"] as? [String: String])
    }

    func configure(_ key: String, _ value: String) throws {
        try SubmoduleRepositories.run(["git", "config", key, value], in: app)
    }

    @Test func credentialsFromTheGitciCredentialsFile() throws {
        defer { server.stop() }
        let missing = try run()
        #expect(missing.status == 1)
        #expect(missing.reason.contains("no credentials for \(url)"), "\(missing.reason)")

        let file = folder.url("credentials")
        try "https://other:x@example.invalid\nhttp://builder:s3cret-pass@127.0.0.1:\(server.port)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        try configure("gitci.credentials", file)
        let result = try run()
        #expect(result.status == 0, "\(result.reason)")
        #expect(result.repos == ["lib": lib])

        try "http://builder:wrong@127.0.0.1:\(server.port)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let wrong = try run()
        #expect(wrong.status == 1)
        #expect(wrong.reason.contains("refused the credentials"), "\(wrong.reason)")
    }

    @Test func credentialsFromGitsCredentialHelper() throws {
        defer { server.stop() }
        let store = folder.url("git-credentials")
        try "http://builder:s3cret-pass@127.0.0.1:\(server.port)\n".write(toFile: store, atomically: true, encoding: .utf8)
        try configure("credential.helper", "store --file \(store)")
        let result = try run()
        #expect(result.status == 0, "\(result.reason)")
        #expect(result.repos == ["lib": lib])
    }
}

/// `git http-backend` behind a small Python HTTP server that wants basic authentication,
/// started without Foundation's Process (ReposSSHTests' SSHServer says why), stopped by pid.
final class HTTPGitServer: @unchecked Sendable {
    // @unchecked: immutable after init; stopped by the test, or when released.
    private(set) var port = 0
    private let pid: pid_t
    private var stopped = false

    static let script = #"""
        import base64, http.server, os, subprocess, sys
        root, user, password, port_file = sys.argv[1:5]
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self): self.serve()
            def do_POST(self): self.serve()
            def serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                           REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""), REMOTE_USER=user,
                           CONTENT_LENGTH=str(len(body)))
                output = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                head, _, rest = output.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.decode().split("\r\n"):
                    key, _, value = line.partition(": ")
                    if key.lower() == "status": status = int(value.split()[0])
                    elif key: headers.append((key, value))
                self.send_response(status)
                for key, value in headers: self.send_header(key, value)
                self.send_header("Content-Length", str(len(rest)))
                self.end_headers()
                self.wfile.write(rest)
            def log_message(self, *arguments): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        with open(port_file + ".tmp", "w") as f: f.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#

    init(root: String, user: String, password: String) async throws {
        let scriptPath = root + "/server.py", portFile = root + "/port"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, root + "/server.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/usr/bin/python3", scriptPath, root, user, password, portFile]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        guard posix_spawn(&child, arguments[0], &actions, nil, argv, environ) == 0 else { throw FixtureError("cannot start python3") }
        pid = child
        guard await Poll.untilExists(portFile, timeout: 20),
              let text = try? String(contentsOfFile: portFile, encoding: .utf8), let found = Int(text) else {
            stop()
            throw FixtureError("the HTTP server did not start: \((try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? "")")
        }
        port = found
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    }

    deinit { stop() }
}
