public import Foundation

/// The CPython interpreters this machine has, as `python:` would find them.
public enum InstalledPythons {
    /// The CPython minor versions this machine has where `find` looks (`python3.X` on PATH but
    /// for pyenv's shims, pyenv's versions), without running any: what a starter pipeline lists.
    public static func minorVersions(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let root = PythonInterpreter.pyenvRoot(environment: environment)
        let shims = (root as NSString).appendingPathComponent("shims")
        var found = Set<Int>()
        let folders = (environment["PATH"] ?? "").split(separator: ":").filter { $0.hasPrefix("/") && $0 != shims }
        for minor in 0...40 where folders.contains(where: { access("\($0)/python3.\(minor)", X_OK) == 0 }) {
            found.insert(minor)
        }
        let versions = (root as NSString).appendingPathComponent("versions")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: versions)) ?? [] {
            let parts = name.split(separator: ".")
            if parts.count >= 2, parts[0] == "3", let minor = Int(parts[1]) { found.insert(minor) }
        }
        return found.sorted().map { "3.\($0)" }
    }
}
