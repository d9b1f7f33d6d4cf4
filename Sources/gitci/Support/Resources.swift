import Foundation

/// Finds gitci's `templates/` and `hooks/` folders: `$GITCI_SHARE`, then `../share/gitci` next to
/// the binary (`make install`), then the source checkout the binary was built in.
enum Resources {
    static var shareDirectory: String? {
        let manager = FileManager.default
        func holdsResources(_ path: String) -> Bool {
            manager.fileExists(atPath: (path as NSString).appendingPathComponent("templates/pipelines"))
        }
        if let override = ProcessInfo.processInfo.environment["GITCI_SHARE"], !override.isEmpty {
            return override
        }
        var folder = (executablePath as NSString).deletingLastPathComponent
        let installed = ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/gitci")
        if holdsResources(installed) { return installed }
        for _ in 0..<6 {
            if holdsResources(folder) { return folder }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// This binary's absolute path (what installed hooks call).
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? RepositoryOptions.absolute(CommandLine.arguments[0])
    }

    static func template(named name: String) -> String? {
        guard let share = shareDirectory else { return nil }
        let path = (share as NSString).appendingPathComponent("templates/pipelines/\(name).yml")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
