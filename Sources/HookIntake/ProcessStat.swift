import Glibc

/// `/proc/PID/stat`, read without Foundation.
public enum ProcessStat {
    /// The fields after the command name: the first is the state (field 3 in proc(5)). The name
    /// may hold spaces and parentheses, so fields are counted after its last ')'. Nil when the
    /// process is gone or the file cannot be read.
    public static func fields(of pid: Int32) -> [Substring]? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }
}
