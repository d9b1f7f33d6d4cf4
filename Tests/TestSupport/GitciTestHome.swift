import Foundation

/// A `$GITCI_HOME` of the test process's own (set in its environment, so that every gitci the
/// tests start inherits it): `gitci install` registers the tests' repositories there, not in
/// the user's `~/.local/share/gitci`.
public enum GitciTestHome {
    public static let path: String = {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("gitci-test-home-\(getpid())")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        setenv("GITCI_HOME", path, 1)
        return path
    }()
}
