import Foundation

/// A job's log: step headers written by gitci, and the steps' own output written straight to
/// the same descriptor by the child processes (no pipe for gitci to drain).
///
/// A log that could not be written (a full disk) is not a log to trust: `failure` says so,
/// and the job fails with it. Steps' own writes are not seen here, but gitci writes a line
/// after every step, which then fails too.
final class LogFile {
    let descriptor: Int32
    let path: String
    /// Why a write was lost, from the first failed write on.
    private(set) var failure: String?

    init(path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        // The spare log a run's folder may hold (StateFolder.makeSpareRun), when there is one.
        StateFolder.Spare.take(StateFolder.Spare.log, as: path)
        var descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        if descriptor < 0, errno == ENOENT {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let reason = written < 0 ? String(cString: strerror(errno)) : "nothing written"
                failure = failure ?? "cannot write the log \(path): \(reason)"
                return
            }
            offset += written
        }
        bytes.removeAll()
    }
}
