import Foundation

/// Reads back what JobExecutor writes into a job's log: the output of one step is the text
/// between its header (`==> step I/N: NAME`) and the next step's.
public enum JobLogSections {
    /// How much of the end of a log is read for a failing step's last lines: the step that
    /// failed is the last that ran but for `if: failure` steps, so its end is near the log's.
    static let tailWindow: UInt64 = 8 << 20

    /// The lines of step `index`'s (from 1) section in `text`, without its header; nil when
    /// `text` holds no such step.
    public static func step(_ index: Int, in text: Substring) -> [Substring]? {
        let header = "==> step \(index)/"
        var start: Substring.Index?
        var searchFrom = text.startIndex
        while let found = text[searchFrom...].range(of: header) {
            if found.lowerBound == text.startIndex || text[text.index(before: found.lowerBound)] == "\n" {
                start = found.lowerBound
                break
            }
            searchFrom = found.upperBound
        }
        guard let start else { return nil }
        let afterHeader = text[start...].firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex
        let end = text[afterHeader...].range(of: "\n==> step ")?.lowerBound ?? text.endIndex
        var lines = text[afterHeader..<end].split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines
    }

    /// The last `count` lines a failed step wrote, without gitci's closing line: nil when the log
    /// cannot be read or does not show the step.
    public static func tail(ofStep index: Int, logPath: String, count: Int) -> [String]? {
        guard count > 0, let handle = FileHandle(forReadingAtPath: logPath) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        let from = size > tailWindow ? size - tailWindow : 0
        try? handle.seek(toOffset: from)
        guard let data = try? handle.readToEnd() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard var lines = step(index, in: text[...]) else { return nil }
        if let last = lines.last, last.hasPrefix("gitci: step '") { lines.removeLast() }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines.suffix(count).map(String.init)
    }
}
