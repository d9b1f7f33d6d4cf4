import Foundation

/// A fresh folder under the system temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: the only state is an immutable path.
    public let path: String

    /// `base`: where to make it instead of the system temporary directory.
    public init(_ prefix: String = "gitci-test", under base: String? = nil) {
        let template = ((base ?? NSTemporaryDirectory()) as NSString).appendingPathComponent("\(prefix)-XXXXXX")
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func url(_ relative: String) -> String {
        (path as NSString).appendingPathComponent(relative)
    }
}
