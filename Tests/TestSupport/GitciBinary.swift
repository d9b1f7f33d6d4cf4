import Foundation

/// The `gitci` executable that `swift build` produced next to the test bundle.
public enum GitciBinary {
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["GITCI_BIN"], !override.isEmpty { return override }
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = (testBinary as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            let candidate = (folder as NSString).appendingPathComponent("gitci")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return "gitci"
    }

    /// Runs the built binary with `arguments` in `directory` (for `timeout` seconds at most, see
    /// Shell.run).
    @discardableResult
    public static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:],
                           input: String? = nil, timeout: Double = Shell.defaultTimeout) throws -> CommandResult {
        try Shell.run([path] + arguments, in: directory, environment: environment, input: input, timeout: timeout)
    }
}
