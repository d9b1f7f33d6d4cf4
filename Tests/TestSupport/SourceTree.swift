import Foundation

/// Folders of this source checkout that tests read (the web UI's templates).
public enum SourceTree {
    public static var root: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    public static var webTemplates: String { root + "/templates/web" }
}
