import Foundation

/// A fresh folder under the system temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: the only state is an immutable path.
    public let path: String

    /// `base`: where to make it instead of the system temporary directory.
    public init(_ prefix: String = "gitci-test", under base: String? = nil) {
        _ = TestHome.path
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

/// The `GITCI_HOME` of every test process and of every command a test runs: a folder of its
/// own under the temporary directory, so that no test writes into the real
/// `~/.local/share/gitci`. Set in the environment the first time a test makes a temporary
/// folder (every fixture does) or runs a command.
public enum TestHome {
    public static let path: String = {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("gitci-home-XXXXXX")
        var bytes = Array(template.utf8CString)
        let made = bytes.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        let path = String(cString: made!)
        setenv("GITCI_HOME", path, 1)
        return path
    }()
}
