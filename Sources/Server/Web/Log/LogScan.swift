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
    /// The first place `needle` is in `haystack`. memchr looks for the needle's first byte that
    /// is neither a letter, a digit nor a space (`:` of `gitci: step`), which text holds far
    /// less often than letters: fewer false starts to compare.
    static func first(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawPointer, count: Int) -> Int? {
        guard !needle.isEmpty, let needleBase = needle.baseAddress, needle.count <= count else { return nil }
        let anchor = needle.firstIndex { byte in
            !(byte == 0x20 || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte))
        } ?? 0
        let byte = Int32(needle[anchor])
        var cursor = haystack + anchor
        let lastAnchor = haystack + (count - needle.count + anchor)
        while cursor <= lastAnchor, let found = memchr(cursor, byte, lastAnchor - cursor + 1) {
            let candidate = UnsafeRawPointer(found) - anchor
            if memcmp(candidate, needleBase, needle.count) == 0 { return candidate - haystack }
            cursor = UnsafeRawPointer(found) + 1
        }
        return nil
    }

    /// Every place `needle` (lowercase) starts in `haystack`, in order, ignoring the case of
    /// ASCII letters, without a lowercased copy of the haystack: the needle's first byte is
    /// found in either case with memchr, each case's search resuming where it stopped.
    static func forEachIgnoringCase(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawPointer, count: Int,
                                    _ body: (Int) -> Void) {
        guard let head = needle.first, needle.count <= count else { return }
        let upper: UInt8? = (0x61...0x7A).contains(head) ? head - 0x20 : nil
        let lastStart = haystack + (count - needle.count)
        func next(_ byte: UInt8?, from cursor: UnsafeRawPointer) -> UnsafeRawPointer? {
            guard let byte, cursor <= lastStart else { return nil }
            return memchr(cursor, Int32(byte), lastStart - cursor + 1).map { UnsafeRawPointer($0) }
        }
        var lower = next(head, from: haystack)
        var upperFound = next(upper, from: haystack)
        while true {
            let candidate: UnsafeRawPointer
            switch (lower, upperFound) {
            case (nil, nil): return
            case (let found?, nil), (nil, let found?): candidate = found
            case (let first?, let second?): candidate = min(first, second)
            }
            if matchesIgnoringCase(needle, at: candidate) { body(candidate - haystack) }
            if candidate == lower { lower = next(head, from: candidate + 1) } else { upperFound = next(upper, from: candidate + 1) }
        }
    }

    private static func matchesIgnoringCase(_ needle: UnsafeRawBufferPointer, at candidate: UnsafeRawPointer) -> Bool {
        for index in 1..<max(needle.count, 1) {
            var byte = candidate.load(fromByteOffset: index, as: UInt8.self)
            if byte &- 0x41 < 26 { byte |= 0x20 }
            if byte != needle[index] { return false }
        }
        return true
    }
}
