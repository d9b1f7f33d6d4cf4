import Foundation
import Glibc

/// What the output streams are connected to, and the colours allowed on them.
struct Terminal: Sendable {
    let isInteractive: Bool
    let useColor: Bool

    /// Colours only on a terminal, and never when `NO_COLOR` is set (no-color.org).
    init(descriptor: Int32) {
        self.descriptor = descriptor
        isInteractive = isatty(descriptor) == 1
        let environment = ProcessInfo.processInfo.environment
        useColor = isInteractive && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    let descriptor: Int32

    /// The window size, or 24×80 when it cannot be read.
    var size: (rows: Int, columns: Int) {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return (24, 80) }
        return (Int(size.ws_row), Int(size.ws_col))
    }

    func paint(_ text: String, _ color: Color) -> String {
        useColor ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    enum Color: String {
        case red = "31", green = "32", yellow = "33", blue = "34", gray = "90", bold = "1"
    }
}

enum Output {
    static func error(_ text: String) {
        write(text + "\n", to: .standardError)
    }

    /// Straight to the descriptor: `Data` and `FileHandle.write(contentsOf:)` cost a first call
    /// ~0.1 ms of generic casts, and the worker logs a line on the way to every build's first step.
    static func write(_ text: String, to handle: FileHandle) {
        var text = text
        text.withUTF8 { write($0, to: handle.fileDescriptor) }
    }

    static func write(_ data: Data, to handle: FileHandle) {
        data.withUnsafeBytes { write($0.bindMemory(to: UInt8.self), to: handle.fileDescriptor) }
    }

    /// Writes all of `bytes`, or drops them when nobody reads any more (`gitci run | head`:
    /// SIGPIPE is ignored, see `Gitci.main`): a run must go on supervising its steps to the end
    /// whatever happens to its output.
    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
