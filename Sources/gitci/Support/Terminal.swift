import Foundation

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

    static func write(_ text: String, to handle: FileHandle) {
        write(Data(text.utf8), to: handle)
    }

    /// Writes `data`, or drops it when nobody reads any more (`gitci run | head`: SIGPIPE is
    /// ignored, see `Gitci.main`). `FileHandle.write(_:)` would trap on that error; a run must
    /// go on supervising its steps to the end whatever happens to its output.
    static func write(_ data: Data, to handle: FileHandle) {
        try? handle.write(contentsOf: data)
    }
}
