import Foundation

/// An executable that `swift build` put next to the test bundle (`gitkit-stress`, …).
public enum BuiltProduct {
    /// The path of executable `name` in the build folder the running tests came from, or just
    /// `name` (looked up on PATH) when it is not there.
    public static func path(_ name: String) -> String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = (testBinary as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            let candidate = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return name
    }
}
