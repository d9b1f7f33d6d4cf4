internal import CSpawn
import Foundation

/// A short program gitci runs for itself, outside any sandbox (an interpreter asked for its
/// version, `uv python find`): its output read whole, its time bounded.
enum ProbeProcess {
    struct Outcome {
        let termination: ProcessTermination
        /// stdout and stderr together, at most a MiB of it.
        let output: String

        var succeeded: Bool { termination == .exited(0) }
    }

    static func run(_ arguments: [String], environment: [String: String], directory: String = "/",
                    timeout: Double = 30) async -> Outcome? {
        var ends: [Int32] = [-1, -1]
        guard gitci_pipe(&ends) == 0 else { return nil }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let group: ProcessGroup
        do {
            group = try ProcessGroup.spawn(arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                                           directory: directory, outputDescriptor: writeEnd)
        } catch {
            close(readEnd)
            close(writeEnd)
            return nil
        }
        close(writeEnd)
        let timer = DispatchWorkItem { group.terminate(grace: 1) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let output = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 8192)
                while true {
                    let count = read(readEnd, &buffer, buffer.count)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    if bytes.count < 1 << 20 { bytes += buffer[0..<count] }
                }
                close(readEnd)
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        let termination = await group.waitForExit()
        timer.cancel()
        group.reap()
        return Outcome(termination: termination, output: output)
    }

    /// The first executable `name` in the folders of `path` (a PATH value).
    static func which(_ name: String, path: String?) -> String? {
        for folder in (path ?? "").split(separator: ":") where folder.hasPrefix("/") {
            let candidate = "\(folder)/\(name)"
            var status = stat()
            if stat(candidate, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
