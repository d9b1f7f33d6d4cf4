import Foundation

/// The outcome of a command run by a test.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// A command a test ran that did not finish in time; it was killed, with what it started.
public struct CommandTimedOut: Error, CustomStringConvertible {
    public let command: [String]
    public let seconds: Double
    public let stdout: String
    public let stderr: String

    public var description: String {
        "\(command.joined(separator: " ")) did not finish within \(Int(seconds)) s; killed it and what it started."
            + (stderr.isEmpty ? "" : " Its error output:\n\(stderr.suffix(4_000))")
    }
}

/// Runs real commands (`git`, the built `gitci`) the way a user would.
public enum Shell {
    /// How long a command may take before the test gives up on it: far more than any command of
    /// the suite needs on a loaded machine (some build a thousand jobs with a debug build), far
    /// less than the hard limit the whole suite runs under, so that one hang fails its test
    /// instead of the suite.
    public static let defaultTimeout: Double = 300

    /// Runs `arguments` (looked up on PATH) in `directory`, waiting for it to finish, for
    /// `timeout` seconds at most: then it and its descendants are killed, and CommandTimedOut
    /// thrown.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:],
                           input: String? = nil, timeout: Double = defaultTimeout) throws -> CommandResult {
        _ = TestHome.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        merged["NO_COLOR"] = "1"
        merged["GIT_AUTHOR_NAME"] = "Test"
        merged["GIT_AUTHOR_EMAIL"] = "test@example.com"
        merged["GIT_COMMITTER_NAME"] = "Test"
        merged["GIT_COMMITTER_EMAIL"] = "test@example.com"
        merged["GIT_CONFIG_NOSYSTEM"] = "1"
        merged["GITCI_HOME"] = TestHome.path
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        // Files, not pipes: a child that writes a lot cannot block on a full pipe.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("gitci-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("gitci-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        let inURL = FileManager.default.temporaryDirectory.appendingPathComponent("gitci-in-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: inURL) }
        if let input {
            try Data(input.utf8).write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let finished = ProcessTable.waitForExit(of: process, timeout: timeout, exited: exited)
        try out.close()
        try err.close()
        guard finished else {
            throw CommandTimedOut(command: arguments, seconds: timeout,
                                  stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
                                  stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self))
        }
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        )
    }
}
