internal import CLibgit2
import Foundation
import Synchronization

/// How gitci proves who it is to a remote, and checks who the remote is, when it fetches other
/// repositories (`repos:` entries): ssh keys from the ssh agent or `gitci.sshKey` (a private key
/// file), the ssh host's key checked against `known_hosts`, https credentials from git's own
/// credential helpers or `gitci.credentials` (a file in git-credential-store format).
public struct FetchAuthentication: Sendable {
    /// `gitci.sshKey`: a private key file tried before the agent.
    public var sshKey: String?
    /// `gitci.credentials`: `https://user:password@host` lines, as `git credential-store` writes.
    public var credentialsFile: String?
    /// Whether the ssh agent (`SSH_AUTH_SOCK`) is asked for keys.
    public var useAgent: Bool
    /// Whether `git credential fill` is asked for https credentials, run in `gitDirectory` so
    /// that the repository's own `credential.helper` counts.
    public var useCredentialHelpers: Bool
    public var gitDirectory: String?

    public static let sshKeyKey = "gitci.sshKey"
    public static let credentialsKey = "gitci.credentials"

    public init(sshKey: String? = nil, credentialsFile: String? = nil, useAgent: Bool = true,
                useCredentialHelpers: Bool = true, gitDirectory: String? = nil) {
        self.sshKey = sshKey
        self.credentialsFile = credentialsFile
        self.useAgent = useAgent
        self.useCredentialHelpers = useCredentialHelpers
        self.gitDirectory = gitDirectory
    }

    /// A URL whose user part holds a password (`https://user:secret@host/x.git`): refused,
    /// because the URL is written in the pipeline, where anyone who reads it reads the secret.
    public static func holdsCredentials(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    /// `url` with the password of its user part replaced by `***`: what messages may show.
    public static func redacted(_ url: String) -> String {
        guard holdsCredentials(url), let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<scheme.upperBound]) + String(authority[..<colon]) + ":***" + String(rest[at...])
    }
}

extension Repository {
    /// The authentication this repository's configuration (local, global, system) asks for.
    public func fetchAuthentication() -> FetchAuthentication {
        func path(_ key: String) -> String? {
            configValue(key).flatMap { $0.isEmpty ? nil : ($0 as NSString).expandingTildeInPath }
        }
        return FetchAuthentication(sshKey: path(FetchAuthentication.sshKeyKey), credentialsFile: path(FetchAuthentication.credentialsKey),
                                   gitDirectory: gitDirectory)
    }
}

// MARK: - libgit2's callbacks

/// What the callbacks of one connection share: what was tried (libgit2 asks again after a
/// refusal, and must not be answered the same forever) and why gitci refused, so that the error
/// says that rather than libgit2's generic words. Used on the thread of the fetch only.
final class FetchSession {
    let authentication: FetchAuthentication
    let url: String
    var triedKeyFile = false
    var triedAgent = false
    var triedPassword = false
    /// gitci's own reason for a failure, when it has one.
    var refusal: String?

    init(authentication: FetchAuthentication, url: String) {
        self.authentication = authentication
        self.url = url
    }

    /// `callbacks` with gitci's credential and certificate callbacks, this session as payload.
    /// The session must outlive every use of them.
    func install(in callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, usernameFromURL, allowed, payload in
            guard let out, let payload else { return GIT_PASSTHROUGH.rawValue }
            let session = Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
            return session.credential(out, url: url.map { String(cString: $0) } ?? session.url,
                                      username: usernameFromURL.map { String(cString: $0) }, allowed: allowed)
        }
        callbacks.certificate_check = { certificate, valid, host, payload in
            guard let payload else { return GIT_PASSTHROUGH.rawValue }
            let session = Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
            return session.check(certificate, valid: valid != 0, host: host.map { String(cString: $0) } ?? "?")
        }
    }

    /// The message of a failed fetch: gitci's refusal when it made one.
    func message(for error: GitError) -> String {
        refusal ?? error.message
    }

    private func check(_ certificate: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String) -> Int32 {
        guard let certificate, certificate.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // TLS: libgit2 checked the chain against the system's authorities; its verdict stands.
            return GIT_PASSTHROUGH.rawValue
        }
        // libgit2 compared the host's key with ~/.ssh/known_hosts: `valid` is its verdict.
        if valid { return 0 }
        let port = URLParts(url).port.map { " -p \($0)" } ?? ""
        refusal = "the ssh host key of \(host) is not in known_hosts (or does not match it); gitci does not talk to an unknown host: "
            + "check its fingerprint and add it (ssh-keyscan\(port) \(host) >> ~/.ssh/known_hosts)"
        return GIT_ECERTIFICATE.rawValue
    }

    private func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, url: String,
                            username: String?, allowed: UInt32) -> Int32 {
        let allowed = git_credential_t(allowed)
        func allows(_ type: git_credential_t) -> Bool { allowed.rawValue & type.rawValue != 0 }
        let user = username ?? Self.currentUser
        if allows(GIT_CREDENTIAL_SSH_KEY) {
            if let key = authentication.sshKey, !triedKeyFile {
                triedKeyFile = true
                guard access(key, R_OK) == 0 else {
                    refusal = "cannot read the ssh key \(key) (\(FetchAuthentication.sshKeyKey))"
                    return GIT_EAUTH.rawValue
                }
                return git_credential_ssh_key_new(out, user, nil, key, nil)
            }
            if authentication.useAgent, !triedAgent, let socket = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !socket.isEmpty {
                triedAgent = true
                return git_credential_ssh_key_from_agent(out, user)
            }
            let tried = [authentication.sshKey.map { "\(FetchAuthentication.sshKeyKey) \($0)" }, triedAgent ? "the ssh agent" : nil].compactMap { $0 }
            refusal = tried.isEmpty
                ? "no ssh key to log in as \(user) with: start an ssh agent holding one, or set \(FetchAuthentication.sshKeyKey) to a private key file"
                : "\(URLParts(url).host ?? url) refused the ssh keys of \(tried.joined(separator: " and ")) for \(user)"
            return GIT_EAUTH.rawValue
        }
        if allows(GIT_CREDENTIAL_USERNAME) {
            return git_credential_username_new(out, user)
        }
        if allows(GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
            let parts = URLParts(url)
            guard !triedPassword else {
                refusal = "\(parts.host ?? "the server") refused the credentials gitci found for \(FetchAuthentication.redacted(url))"
                return GIT_EAUTH.rawValue
            }
            triedPassword = true
            guard let found = storedCredential(parts, username: username) ?? helperCredential(parts, username: username) else {
                refusal = "no credentials for \(FetchAuthentication.redacted(url)): configure a git credential helper "
                    + "or set \(FetchAuthentication.credentialsKey) to a git-credential-store file"
                return GIT_EAUTH.rawValue
            }
            return git_credential_userpass_plaintext_new(out, found.username, found.password)
        }
        return GIT_PASSTHROUGH.rawValue
    }

    /// The first line of the `gitci.credentials` file for the URL's protocol and host.
    private func storedCredential(_ parts: URLParts, username: String?) -> (username: String, password: String)? {
        guard let file = authentication.credentialsFile, let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            let stored = URLParts(String(line).trimmingCharacters(in: .whitespaces))
            guard stored.scheme == parts.scheme, stored.hostAndPort == parts.hostAndPort,
                  let user = stored.user?.removingPercentEncoding, let password = stored.password?.removingPercentEncoding,
                  username == nil || username == user else { continue }
            return (user, password)
        }
        return nil
    }

    /// What `git credential fill` answers: the helpers git is configured with. Never a prompt
    /// (no terminal, no askpass program): a build has nobody to answer one.
    private func helperCredential(_ parts: URLParts, username: String?) -> (username: String, password: String)? {
        guard authentication.useCredentialHelpers, let scheme = parts.scheme, let host = parts.hostAndPort else { return nil }
        var request = "protocol=\(scheme)\nhost=\(host)\n"
        if let path = parts.path, !path.isEmpty { request += "path=\(path)\n" }
        if let username { request += "username=\(username)\n" }
        guard !request.contains("\0") else { return nil }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") && $0.key != "SSH_ASKPASS" }
        environment["GIT_TERMINAL_PROMPT"] = "0"
        if let gitDirectory = authentication.gitDirectory { environment["GIT_DIR"] = gitDirectory }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "core.askPass=", "credential", "fill"]
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        // A helper that waits for someone (a prompt of its own) must not hold the build forever.
        let pid = process.processIdentifier
        let finished = Mutex(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.helperTimeout) {
            finished.withLock { done in if !done { kill(pid, SIGKILL) } }
        }
        input.fileHandleForWriting.write(Data((request + "\n").utf8))
        try? input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        finished.withLock { $0 = true }
        guard process.terminationStatus == 0 else { return nil }
        var values: [String: String] = [:]
        for line in String(decoding: answer, as: UTF8.self).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let user = values["username"], let password = values["password"] else { return nil }
        return (user, password)
    }

    /// Seconds `git credential fill` may take.
    static let helperTimeout: Double = 30

    static var currentUser: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "git"
    }
}

/// The parts of a URL that credentials are matched on, read as git reads them: `scheme://
/// [user[:password]@]host[:port][/path]`, or scp-like `[user@]host:path`.
struct URLParts {
    var scheme: String?
    var user: String?
    var password: String?
    var host: String?
    var port: String?
    var path: String?

    var hostAndPort: String? { host.map { $0 + (port.map { ":\($0)" } ?? "") } }

    init(_ url: String) {
        var rest = Substring(url)
        if let separator = url.range(of: "://") {
            scheme = String(url[..<separator.lowerBound]).lowercased()
            rest = url[separator.upperBound...]
            let authority = rest.prefix { $0 != "/" }
            path = rest.count > authority.count ? String(rest.dropFirst(authority.count + 1)) : nil
            var hostPart = authority
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                hostPart = authority[authority.index(after: at)...]
                if let colon = userInfo.firstIndex(of: ":") {
                    user = String(userInfo[..<colon])
                    password = String(userInfo[userInfo.index(after: colon)...])
                } else {
                    user = String(userInfo)
                }
            }
            if let colon = hostPart.lastIndex(of: ":"), !hostPart.hasSuffix("]") {
                host = String(hostPart[..<colon])
                port = String(hostPart[hostPart.index(after: colon)...])
            } else {
                host = String(hostPart)
            }
        } else if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") {
            scheme = "ssh"
            let authority = url[..<colon]
            if let at = authority.lastIndex(of: "@") {
                user = String(authority[..<at])
                host = String(authority[authority.index(after: at)...])
            } else {
                host = String(authority)
            }
            path = String(url[url.index(after: colon)...])
        }
    }
}
