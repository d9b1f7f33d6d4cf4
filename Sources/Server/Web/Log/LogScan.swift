import Foundation

/// Whole-log scans that stay fast on large logs: byte searches over large reads (memchr,
/// memcmp), never a string of the whole file.
extension LogFileWindow {
    /// Where `pattern` occurs in the file, at most `limit` places, in order.
    func occurrences(of pattern: [UInt8], limit: Int) -> [Int64] {
        guard !pattern.isEmpty else { return [] }
        var found: [Int64] = []
        var offset: Int64 = 0
        let overlap = Int64(pattern.count - 1)
        while offset < size, found.count < limit {
            let end = min(size, offset + Int64(Self.chunkSize))
            let bytes = read(offset..<end)
            guard !bytes.isEmpty else { break }
            bytes.withUnsafeBytes { buffer in
                pattern.withUnsafeBytes { needle in
                    var cursor = buffer.baseAddress!
                    let stop = buffer.baseAddress! + buffer.count
                    while found.count < limit, cursor < stop, let hit = ByteSearch.first(needle, in: cursor, count: stop - cursor) {
                        found.append(offset + Int64(cursor + hit - buffer.baseAddress!))
                        cursor += hit + 1
                    }
                }
            }
            guard end < size else { break }
            // No whole match starts in a chunk's last `overlap` bytes: the next chunk starts
            // there, so a match across the edge is found exactly once.
            offset = max(offset + 1, end - overlap)
        }
        return found
    }

    /// The line that starts at `offset`, at most `limit` bytes of it, without its newline.
    func line(at offset: Int64, limit: Int = 4096) -> [UInt8] {
        let bytes = read(offset..<min(size, offset + Int64(limit)))
        return Array(bytes.prefix { $0 != 10 })
    }

    // MARK: - Steps

    struct Step: Equatable, Sendable {
        let header: StepHeader
        /// Where its header line starts.
        let offset: Int64
    }

    /// The step headers of the log, in order (at most `limit`).
    func steps(limit: Int = 10_000) -> [Step] {
        var starts = occurrences(of: Array("\n==> step ".utf8), limit: limit).map { $0 + 1 }
        if read(0..<Int64(StepHeader.prefix.count)) == StepHeader.prefix { starts.insert(0, at: 0) }
        return starts.compactMap { start in StepHeader(line(at: start)).map { Step(header: $0, offset: start) } }
    }

    /// The step a failed job failed in: the step whose header is the last before the last
    /// `gitci: step '…' failed` line JobExecutor writes (not one "allowed to fail"); without
    /// such a line (the job was stopped, timed out between steps, or the log was cut), its last
    /// step. nil when the log has no step header.
    func failedStep(among steps: [Step]) -> Step? {
        let failures = occurrences(of: Array("\ngitci: step '".utf8), limit: 100_000).map { $0 + 1 }
        let fatal = failures.last { start in
            let text = String(decoding: line(at: start), as: UTF8.self)
            return text.contains("' failed") && !text.contains("allowed to fail")
        }
        if let fatal, let step = steps.last(where: { $0.offset < fatal }) { return step }
        return steps.last
    }
}

/// `memmem` is a GNU extension Swift's Glibc does not show: memchr for the needle's first
/// byte, memcmp for the rest, which is as fast on text where that byte is not everywhere.
enum ByteSearch {
    static func first(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawPointer, count: Int) -> Int? {
        guard let head = needle.first, let needleBase = needle.baseAddress, needle.count <= count else { return nil }
        var cursor = haystack
        let lastStart = haystack + (count - needle.count)
        while cursor <= lastStart, let found = memchr(cursor, Int32(head), lastStart - cursor + 1) {
            let candidate = UnsafeRawPointer(found)
            if memcmp(candidate, needleBase, needle.count) == 0 { return candidate - haystack }
            cursor = candidate + 1
        }
        return nil
    }
}
