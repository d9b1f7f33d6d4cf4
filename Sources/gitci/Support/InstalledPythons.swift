import Foundation

/// The Python minor versions this machine has, for a starter pipeline that runs here: what
/// `python3.X` names on PATH and what pyenv installed.
enum InstalledPythons {
    static func minorVersions(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let manager = FileManager.default
        var found = Set<String>()
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for minor in 6...20 {
            let name = "python3.\(minor)"
            if path.contains(where: { manager.isExecutableFile(atPath: ($0 as NSString).appendingPathComponent(name)) }) {
                found.insert("3.\(minor)")
            }
        }
        let pyenvRoot = environment["PYENV_ROOT"] ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".pyenv")
        let versions = (pyenvRoot as NSString).appendingPathComponent("versions")
        for entry in (try? manager.contentsOfDirectory(atPath: versions)) ?? [] {
            let parts = entry.split(separator: ".")
            if parts.count >= 2, parts[0] == "3", Int(parts[1]) != nil { found.insert("3.\(parts[1])") }
        }
        return found.sorted { Int($0.dropFirst(2)) ?? 0 < Int($1.dropFirst(2)) ?? 0 }
    }
}
