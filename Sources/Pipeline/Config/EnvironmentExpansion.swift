/// `env:` values that name earlier variables: `$NAME` and `${NAME}` become the value the name
/// has so far (nothing when it has none), `$$` a `$`. gitci expands them, never a shell: the
/// rest of the text stays as written, whatever characters it holds.
public enum EnvironmentExpansion {
    public static func expand(_ text: String, _ lookup: (String) -> String?) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "$"), index + 1 < bytes.count else {
                output.append(byte)
                index += 1
                continue
            }
            let next = bytes[index + 1]
            if next == UInt8(ascii: "$") {
                output.append(byte)
                index += 2
            } else if next == UInt8(ascii: "{"), let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")),
                      isName(bytes[(index + 2)..<close]) {
                output += Array((lookup(String(decoding: bytes[(index + 2)..<close], as: UTF8.self)) ?? "").utf8)
                index = close + 1
            } else if isNameStart(next) {
                var end = index + 1
                while end < bytes.count, isNameStart(bytes[end]) || isDigit(bytes[end]) { end += 1 }
                output += Array((lookup(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)) ?? "").utf8)
                index = end
            } else {
                // `$5`, `$ `, `${-}`: not a name, kept as written.
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    private static func isName(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, isNameStart(first) else { return false }
        return bytes.allSatisfy { isNameStart($0) || isDigit($0) }
    }
}
