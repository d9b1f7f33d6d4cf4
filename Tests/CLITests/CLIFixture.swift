import Foundation
import Testing
import TestSupport

/// A repository with a committed pipeline, for driving the built `gitci` binary.
func repository(pipeline: String, files: [String: String] = [:]) throws -> GitFixture {
    let repo = try GitFixture()
    var all = files
    all[".gitci.yml"] = pipeline
    try repo.commit(all, message: "pipeline")
    return repo
}

/// Standard output parsed as one JSON object; throws when it holds anything else.
func jsonObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let object = value as? [String: Any] else { throw FixtureError("not a JSON object: \(text)") }
    return object
}

/// The `jobs` array of a `run --json` document, keyed by job name.
func jobsByName(_ document: [String: Any]) -> [String: [String: Any]] {
    let jobs = document["jobs"] as? [[String: Any]] ?? []
    return Dictionary(jobs.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
}

/// Lines of `.gitci.yml:LINE:COL: message` form on standard error, as (line, column, message).
func configDiagnostics(_ stderr: String) -> [(line: Int, column: Int, message: String)] {
    stderr.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == ".gitci.yml", let row = Int(parts[1]), let column = Int(parts[2]),
              parts[3].hasPrefix(" ") else { return nil }
        return (row, column, String(parts[3].dropFirst()))
    }
}

/// The pipeline templates shipped with gitci, read from this source checkout.
enum Templates {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("templates/pipelines").path

    static func contents(_ name: String) throws -> String {
        try String(contentsOfFile: folder + "/\(name).yml", encoding: .utf8)
    }
}

/// The built binary started in the background, for tests that signal it while it runs.
final class RunningGitci {
    let process = Process()
    private let output = TemporaryDirectory("gitci-output")

    /// Starts `gitci arguments`; standard output goes to a file, or to `stdout` when given.
    init(_ arguments: [String], in directory: String, stdout: Pipe? = nil) throws {
        process.executableURL = URL(fileURLWithPath: GitciBinary.path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["NO_COLOR"] = "1"
        process.environment = environment
        _ = FileManager.default.createFile(atPath: output.url("stdout"), contents: nil)
        _ = FileManager.default.createFile(atPath: output.url("stderr"), contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try stdout ?? FileHandle(forWritingTo: URL(fileURLWithPath: output.url("stdout")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: output.url("stderr")))
        try process.run()
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// How the process ended: its exit status, or the signal that killed it.
    struct Exit: Equatable {
        var status: Int32
        var signaled: Bool
    }

    /// Waits (generously) for the process to end and says how; nil when it did not end (it is
    /// then killed), or when Foundation never saw it end because processes it left behind still
    /// hold the descriptor Foundation watches.
    func waitForExit(timeout: Double = 30) async -> Exit? {
        let pid = process.processIdentifier
        let ended = await Poll.until(timeout: timeout) { !process.isRunning || ProcessTable.hasExited(pid) }
        if !ended { kill(pid, SIGKILL) }
        guard await Poll.until(timeout: 5, { !process.isRunning }), ended else { return nil }
        return Exit(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal)
    }

    var stdout: String { (try? String(contentsOfFile: output.url("stdout"), encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: output.url("stderr"), encoding: .utf8)) ?? "" }
}
