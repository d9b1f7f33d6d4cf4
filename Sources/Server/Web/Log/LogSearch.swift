import Foundation

/// Searching a log on the server: the lines whose text (escape codes left out, as the page shows
/// them) holds the query, ignoring the case of ASCII letters. Bounded: the query's length, the
/// number of hits, and one pass over the file in large chunks with byte searches (memchr and
/// memcmp over the chunk; only lines with escape codes or carriage returns are decoded one by one).
enum LogSearch {
    static let longestQuery = 200
    static let mostHits = 200
    /// How much of a hit's line is returned.
    static let shownBytes = 400

    struct Hit: Encodable, Sendable {
        let line: Int
        let offset: Int64
        let text: String
        /// The text, escaped, with the match in `<mark>`.
        let html: String
        /// The page around it: from a little before its line, anchored at the line.
        var href: String
        enum CodingKeys: String, CodingKey { case line, offset, text, href }
    }

    struct Result: Sendable {
        var hits: [Hit] = []
        /// More lines matched than `mostHits`.
        var truncated = false
    }

    /// The query as searched: without control characters, at most `longestQuery` bytes; nil when
    /// nothing is left.
    static func normalize(_ query: String) -> [UInt8]? {
        var kept = ""
        for scalar in query.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7F {
            guard kept.utf8.count + String(scalar).utf8.count <= longestQuery else { break }
            kept.unicodeScalars.append(scalar)
        }
        var bytes = Array(kept.utf8)
        lowercaseASCII(&bytes)
        return bytes.isEmpty ? nil : bytes
    }

    static func lowercaseASCII(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices where buffer[index] &- 0x41 < 26 { buffer[index] |= 0x20 }
        }
    }

    static func search(_ file: LogFileWindow, needle: [UInt8], limit: Int = mostHits) -> Result {
        var result = Result()
        var offset: Int64 = 0
        var newlinesBefore = 0
        while offset < file.size, !result.truncated {
            let raw = file.read(offset..<min(file.size, offset + Int64(LogFileWindow.chunkSize)))
            guard !raw.isEmpty else { break }
            // Whole lines only; a line longer than a chunk is searched in pieces.
            let atEnd = offset + Int64(raw.count) >= file.size
            let usable = atEnd ? raw.count : (raw.lastIndex(of: 10).map { $0 + 1 } ?? raw.count)
            let lines = candidateLines(raw: raw, count: usable, needle: needle)
            var counted = 0
            for line in lines {
                let bytes = Array(raw[line])
                let plain = (lineNeedsDecoding(bytes) ? bytes.withUnsafeBytes { AnsiText.plainBytes($0) } : bytes)
                var loweredPlain = plain
                lowercaseASCII(&loweredPlain)
                guard let at = find(needle, in: loweredPlain) else { continue }
                guard result.hits.count < limit else {
                    result.truncated = true
                    break
                }
                newlinesBefore += raw.withUnsafeBytes { LogFileWindow.countNewlines(UnsafeRawBufferPointer(rebasing: $0[counted..<line.lowerBound])) }
                counted = line.lowerBound
                result.hits.append(hit(plain, match: at, length: needle.count, line: newlinesBefore + 1, offset: offset + Int64(line.lowerBound)))
            }
            newlinesBefore += raw.withUnsafeBytes { LogFileWindow.countNewlines(UnsafeRawBufferPointer(rebasing: $0[counted..<usable])) }
            offset += Int64(usable)
        }
        return result
    }

    /// The lines of the chunk that may match: those where the bytes hold the needle (in any case),
    /// and those whose escape codes or carriage returns may hide or make a match.
    private static func candidateLines(raw: [UInt8], count: Int, needle: [UInt8]) -> [Range<Int>] {
        var positions: [Int] = []
        raw.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, count > 0 else { return }
            let stop = base + count
            needle.withUnsafeBytes { pattern in
                ByteSearch.forEachIgnoringCase(pattern, in: base, count: count) { positions.append($0) }
            }
            for special: Int32 in [0x1B, 13] {
                var cursor = base
                while cursor < stop, let hit = memchr(cursor, special, stop - cursor) {
                    positions.append(UnsafeRawPointer(hit) - base)
                    cursor = UnsafeRawPointer(hit) + 1
                }
            }
        }
        positions.sort()
        var lines: [Range<Int>] = []
        raw.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            for position in positions {
                if let last = lines.last, position < last.upperBound + 1 { continue }
                var start = position
                while start > 0, buffer[start - 1] != 10 { start -= 1 }
                let end = memchr(base + position, 10, count - position).map { UnsafeRawPointer($0) - base } ?? count
                lines.append(start..<end)
            }
        }
        return lines
    }

    private static func lineNeedsDecoding(_ bytes: [UInt8]) -> Bool {
        bytes.contains(0x1B) || bytes.contains(13)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBytes { buffer in
            needle.withUnsafeBytes { pattern in
                ByteSearch.first(pattern, in: buffer.baseAddress!, count: buffer.count)
            }
        }
    }

    private static func hit(_ plain: [UInt8], match: Int, length: Int, line: Int, offset: Int64) -> Hit {
        // Some text before the match when the line is long, so that the match is shown.
        let from = match + length > shownBytes ? max(0, match - shownBytes / 4) : 0
        let to = min(plain.count, from + shownBytes)
        let shown = Array(plain[from..<to])
        let start = match - from, end = min(shown.count, start + length)
        let html = SVGText.escape(String(decoding: shown[0..<start], as: UTF8.self)) + "<mark>"
            + SVGText.escape(String(decoding: shown[start..<end], as: UTF8.self)) + "</mark>"
            + SVGText.escape(String(decoding: shown[end...], as: UTF8.self))
        return Hit(line: line, offset: offset, text: String(decoding: shown, as: UTF8.self), html: html, href: "")
    }
}
