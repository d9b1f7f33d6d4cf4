import Testing
@testable import Server

/// The log's byte searches agree with a plain search, whatever byte memchr anchors on and
/// whichever case the text is in.
@Suite struct ByteSearchTests {
    static func naive(_ needle: [UInt8], in haystack: [UInt8], ignoringCase: Bool) -> [Int] {
        let lower = { (byte: UInt8) in ignoringCase && byte &- 0x41 < 26 ? byte | 0x20 : byte }
        guard needle.count <= haystack.count else { return [] }
        return (0...(haystack.count - needle.count)).filter { start in
            needle.indices.allSatisfy { lower(haystack[start + $0]) == needle[$0] }
        }
    }

    static func texts() -> [[UInt8]] {
        var generator = SeededGenerator(seed: 23)
        let alphabet = Array("aAbB: '=\n>gG1".utf8)
        return (0..<300).map { _ in (0..<Int.random(in: 0...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! } }
    }

    @Test func firstFindsWhatAPlainSearchFinds() {
        for needle in ["gitci: step '", "==> step ", "a:b", "b", "=", "ab", "g1:"].map({ Array($0.utf8) }) {
            for text in Self.texts() {
                let found = text.withUnsafeBytes { haystack in
                    needle.withUnsafeBytes { pattern in
                        haystack.baseAddress.flatMap { ByteSearch.first(pattern, in: $0, count: haystack.count) }
                    }
                }
                #expect(found == Self.naive(needle, in: text, ignoringCase: false).first, "\(String(decoding: needle, as: UTF8.self))")
            }
        }
    }

    @Test func everyMatchIgnoringCaseIsFoundOnceInOrder() {
        for needle in ["ab", "a", "g1", ": ", "bb:a", "="].map({ Array($0.utf8) }) {
            for text in Self.texts() {
                var found: [Int] = []
                text.withUnsafeBytes { haystack in
                    needle.withUnsafeBytes { pattern in
                        if let base = haystack.baseAddress {
                            ByteSearch.forEachIgnoringCase(pattern, in: base, count: haystack.count) { found.append($0) }
                        }
                    }
                }
                #expect(found == Self.naive(needle, in: text, ignoringCase: true), "\(String(decoding: needle, as: UTF8.self))")
            }
        }
    }
}

/// A small deterministic generator: the same texts on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
