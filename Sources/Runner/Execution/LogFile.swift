import Foundation

/// A job's log: step headers written by gitci, and the steps' own output written straight to
/// the same descriptor by the child processes (no pipe for gitci to drain).
final class LogFile {
    let descriptor: Int32

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
            guard written > 0 else { return }
            offset += written
        }
        bytes.removeAll()
    }
}
