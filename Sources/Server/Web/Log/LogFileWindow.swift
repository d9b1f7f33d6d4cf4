import Foundation

/// A job's log file read by byte offsets, for views of a part of it: a log can be far larger
/// than a page may hold (tens of megabytes), so pages show windows of whole lines and number
/// them by counting newlines, never by reading the whole file into a string.
///
/// Every offset a caller sees is a byte offset into the file; a window starts at the start of a
/// line and ends after a newline (or at the end of the file).
final class LogFileWindow {
    /// How much of a log one view shows: enough for hundreds of lines, little enough that a
    /// browser renders it at once.
    static let windowSize: Int64 = 256 << 10
    /// A line longer than this is cut at a window's edge rather than searched for its start.
    static let longestLine: Int64 = 1 << 20
    static let chunkSize = 1 << 20

    let path: String
    let size: Int64
    private let descriptor: Int32

    private init(path: String, descriptor: Int32, size: Int64) {
        self.path = path
        self.descriptor = descriptor
        self.size = size
    }

    /// nil when the file cannot be opened (not written yet, or removed by `gitci gc`).
    static func open(_ path: String) -> LogFileWindow? {
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            return nil
        }
        return LogFileWindow(path: path, descriptor: descriptor, size: Int64(status.st_size))
    }

    deinit { close(descriptor) }

    /// The file's size now: a running job's log grows after it was opened.
    func currentSize() -> Int64 {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int64(status.st_size) : size
    }

    /// The bytes of `range` (clamped to the file as it was opened; a file that grew since is read
    /// up to `range.upperBound` all the same).
    func read(_ range: Range<Int64>) -> [UInt8] {
        let lower = max(0, range.lowerBound)
        let count = Int(max(0, range.upperBound - lower))
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(lower) + off_t(filled))
            }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            filled += got
        }
        if filled < count { bytes.removeLast(count - filled) }
        return bytes
    }

    /// Calls `body` with the file's bytes in `range`, a chunk at a time, each chunk's offset
    /// first; `body` returns false to stop.
    func chunks(_ range: Range<Int64>, chunkSize: Int = LogFileWindow.chunkSize,
                _ body: (Int64, UnsafeRawBufferPointer) -> Bool) {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var offset = max(0, range.lowerBound)
        while offset < range.upperBound {
            let want = Int(min(Int64(chunkSize), range.upperBound - offset))
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, want, off_t(offset)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return }
            let goOn = buffer.withUnsafeBytes { body(offset, UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            guard goOn else { return }
            offset += Int64(got)
        }
    }

    // MARK: - Lines

    /// The number (from 1) of the line that starts at `offset`: one more than the newlines
    /// before it. memchr over large reads: a scan of tens of megabytes takes milliseconds.
    func lineNumber(at offset: Int64) -> Int {
        var newlines = 0
        chunks(0..<min(max(0, offset), size)) { _, bytes in
            newlines += Self.countNewlines(bytes)
            return true
        }
        return newlines + 1
    }

    static func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard var cursor = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        let end = cursor + bytes.count
        var count = 0
        while cursor < end, let found = memchr(cursor, 10, end - cursor) {
            count += 1
            cursor = UnsafeRawPointer(found) + 1
        }
        return count
    }

    /// The start of the line `offset` is in: `offset` itself when it starts a line; never more
    /// than `longestLine` back (a longer line is cut there).
    func lineStart(containing offset: Int64) -> Int64 {
        let offset = min(max(0, offset), size)
        guard offset > 0 else { return 0 }
        let floor = max(0, offset - Self.longestLine)
        var end = offset
        while end > floor {
            let start = max(floor, end - Int64(Self.chunkSize))
            let bytes = read(start..<end)
            if let index = bytes.lastIndex(of: 10) { return start + Int64(index) + 1 }
            end = start
        }
        return floor
    }

    /// The first line start at or after `offset` (the end of the file if none); never more than
    /// `longestLine` on.
    func lineStart(atOrAfter offset: Int64) -> Int64 {
        let offset = min(max(0, offset), size)
        guard offset > 0, offset < size else { return offset }
        if read((offset - 1)..<offset) == [10] { return offset }
        let ceiling = min(size, offset + Self.longestLine)
        var found: Int64?
        chunks(offset..<ceiling) { chunkOffset, bytes in
            if let hit = memchr(bytes.baseAddress!, 10, bytes.count) {
                found = chunkOffset + Int64(UnsafeRawPointer(hit) - bytes.baseAddress!) + 1
                return false
            }
            return true
        }
        return found ?? ceiling
    }

    /// The end of the last whole line within `range` (just after its newline); `range`'s lower
    /// bound when it holds no newline.
    func lastLineEnd(in range: Range<Int64>) -> Int64 {
        var end = range.upperBound
        while end > range.lowerBound {
            let start = max(range.lowerBound, end - Int64(Self.chunkSize))
            let bytes = read(start..<end)
            if let index = bytes.lastIndex(of: 10) { return start + Int64(index) + 1 }
            end = start
        }
        return range.lowerBound
    }

    // MARK: - Windows

    /// The last `windowSize` bytes, from a line start; without the unfinished last line when
    /// `wholeLines` (a running job's log: that line is streamed once it ends).
    func tail(wholeLines: Bool) -> Range<Int64> {
        let end = wholeLines ? lastLineEnd(in: max(0, size - Self.longestLine)..<size) : size
        return before(end)
    }

    /// The whole lines of the `windowSize` bytes before `offset` (a line start).
    func before(_ offset: Int64) -> Range<Int64> {
        let end = min(max(0, offset), size)
        let start = end <= Self.windowSize ? 0 : lineStart(atOrAfter: end - Self.windowSize)
        return min(start, end)..<end
    }

    /// About `windowSize` bytes of whole lines from the line that holds `offset`.
    func from(_ offset: Int64, wholeLines: Bool) -> Range<Int64> {
        let start = lineStart(containing: offset)
        let limit = min(size, start + Self.windowSize)
        var end = limit == size ? size : lineStart(atOrAfter: limit)
        if wholeLines, end == size { end = max(start, lastLineEnd(in: start..<size)) }
        return start..<end
    }
}
