/// The part of TOML that tox configurations are written in: tables and array tables, bare,
/// quoted and dotted keys, the four kinds of strings, arrays and inline tables; other scalars
/// (numbers, booleans, dates) are kept as their text. What the file says becomes a flat list of
/// key paths and values, which is all tox's `env_list`, `labels` and `legacy_tox_ini` need.
struct ToxToml {
    indirect enum Value {
        case string(String)
        case array([Value])
        case table([(key: String, value: Value)])
        case other(String)
    }

    struct Entry {
        let path: [String]
        let value: Value
        let line: Int
    }

    struct Malformed: Error {
        let line: Int
        let message: String
    }

    private(set) var entries: [Entry] = []

    func value(at path: [String]) -> Entry? {
        entries.first { $0.path == path }
    }

    /// Every entry under `prefix`, one level or more below it.
    func entries(under prefix: [String]) -> [Entry] {
        entries.filter { $0.path.count > prefix.count && Array($0.path.prefix(prefix.count)) == prefix }
    }

    private let characters: [Character]
    private var index = 0
    private var line = 1

    init(_ text: String) throws(Malformed) {
        characters = Array(text)
        var table: [String] = []
        while true {
            skipTrivia(newlines: true)
            guard let character = peek else { break }
            if character == "[" {
                let isArrayTable = peek(at: 1) == "["
                index += isArrayTable ? 2 : 1
                skipTrivia(newlines: false)
                table = try key()
                skipTrivia(newlines: false)
                try expect("]")
                if isArrayTable { try expect("]") }
            } else {
                let entryLine = line
                let path = try key()
                skipTrivia(newlines: false)
                try expect("=")
                skipTrivia(newlines: false)
                entries.append(Entry(path: table + path, value: try value(), line: entryLine))
            }
            skipTrivia(newlines: false)
            if let next = peek, next != "\n", next != "\r\n" {
                throw Malformed(line: line, message: "unexpected '\(next)' after a value or table header")
            }
        }
    }

    // MARK: - Reading

    private var peek: Character? { index < characters.count ? characters[index] : nil }

    private func peek(at offset: Int) -> Character? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    private mutating func advance() -> Character? {
        guard let character = peek else { return nil }
        index += 1
        if character == "\n" || character == "\r\n" { line += 1 }
        return character
    }

    private mutating func expect(_ character: Character) throws(Malformed) {
        guard peek == character else {
            throw Malformed(line: line, message: "expected '\(character)'" + (peek.map { ", found '\($0)'" } ?? " before the end"))
        }
        _ = advance()
    }

    /// Spaces, tabs and comments; newlines too when `newlines`.
    private mutating func skipTrivia(newlines: Bool) {
        while let character = peek {
            if character == " " || character == "\t" {
                index += 1
            } else if character == "#" {
                while let next = peek, next != "\n", next != "\r\n" { index += 1 }
            } else if newlines, character == "\n" || character == "\r\n" {
                _ = advance()
            } else {
                return
            }
        }
    }

    private mutating func key() throws(Malformed) -> [String] {
        var path: [String] = []
        while true {
            skipTrivia(newlines: false)
            switch peek {
            case "\"":
                path.append(try basicString())
            case "'":
                path.append(try literalString())
            default:
                var bare = ""
                while let character = peek, character.isASCII, character.isLetter || character.isNumber || character == "_" || character == "-" {
                    bare.append(character)
                    index += 1
                }
                guard !bare.isEmpty else {
                    throw Malformed(line: line, message: "expected a key" + (peek.map { ", found '\($0)'" } ?? " before the end"))
                }
                path.append(bare)
            }
            skipTrivia(newlines: false)
            guard peek == "." else { return path }
            index += 1
        }
    }

    private mutating func value() throws(Malformed) -> Value {
        switch peek {
        case "\"": return .string(try basicString())
        case "'": return .string(try literalString())
        case "[":
            _ = advance()
            var items: [Value] = []
            while true {
                skipTrivia(newlines: true)
                if peek == "]" { _ = advance(); return .array(items) }
                items.append(try value())
                skipTrivia(newlines: true)
                if peek == "," { _ = advance(); continue }
                try expect("]")
                return .array(items)
            }
        case "{":
            _ = advance()
            var pairs: [(key: String, value: Value)] = []
            skipTrivia(newlines: false)
            if peek == "}" { _ = advance(); return .table(pairs) }
            while true {
                let path = try key()
                skipTrivia(newlines: false)
                try expect("=")
                skipTrivia(newlines: false)
                var item = try value()
                for part in path.dropFirst().reversed() { item = .table([(part, item)]) }
                pairs.append((path[0], item))
                skipTrivia(newlines: false)
                if peek == "," { _ = advance(); skipTrivia(newlines: false); continue }
                try expect("}")
                return .table(pairs)
            }
        case nil:
            throw Malformed(line: line, message: "a value is missing before the end")
        default:
            var text = ""
            while let character = peek, !",]}#\n\r\n".contains(character) {
                text.append(character)
                index += 1
            }
            text = text.trimmingWhitespace()
            guard !text.isEmpty else { throw Malformed(line: line, message: "a value is missing") }
            return .other(text)
        }
    }

    private mutating func literalString() throws(Malformed) -> String {
        let startLine = line
        if peek(at: 1) == "'", peek(at: 2) == "'" {
            index += 3
            skipFirstNewline()
            var text = ""
            while true {
                guard let character = advance() else { throw Malformed(line: startLine, message: "a ''' string is not closed") }
                if character == "'", peek == "'", peek(at: 1) == "'", peek(at: 2) != "'" {
                    index += 2
                    return text
                }
                text.append(character)
            }
        }
        index += 1
        var text = ""
        while let character = peek, character != "\n", character != "\r\n" {
            index += 1
            if character == "'" { return text }
            text.append(character)
        }
        throw Malformed(line: startLine, message: "a '...' string is not closed on its line")
    }

    private mutating func basicString() throws(Malformed) -> String {
        let startLine = line
        let multiline = peek(at: 1) == "\"" && peek(at: 2) == "\""
        index += multiline ? 3 : 1
        if multiline { skipFirstNewline() }
        var text = ""
        while true {
            guard let character = advance() else {
                throw Malformed(line: startLine, message: "a string is not closed")
            }
            if !multiline, character == "\n" || character == "\r\n" {
                throw Malformed(line: startLine, message: "a \"...\" string is not closed on its line")
            }
            if character == "\"" {
                if !multiline { return text }
                if peek == "\"", peek(at: 1) == "\"", peek(at: 2) != "\"" {
                    index += 2
                    return text
                }
                text.append(character)
                continue
            }
            guard character == "\\" else {
                text.append(character)
                continue
            }
            guard let escaped = advance() else { throw Malformed(line: startLine, message: "a string is not closed") }
            switch escaped {
            case "n": text.append("\n")
            case "t": text.append("\t")
            case "r": text.append("\r")
            case "b": text.append("\u{8}")
            case "f": text.append("\u{C}")
            case "e": text.append("\u{1B}")
            case "\"": text.append("\"")
            case "\\": text.append("\\")
            case "u", "U":
                let count = escaped == "u" ? 4 : 8
                var hex = ""
                for _ in 0..<count { if let digit = advance() { hex.append(digit) } }
                guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                    throw Malformed(line: line, message: "'\\\(escaped)\(hex)' is not a Unicode character")
                }
                text.unicodeScalars.append(scalar)
            case " ", "\t", "\n", "\r\n":
                guard multiline else { throw Malformed(line: line, message: "'\\' must start an escape in a \"...\" string") }
                // A line-ending backslash: the newline and the whitespace after it go.
                if escaped == " " || escaped == "\t" {
                    while let next = peek, next == " " || next == "\t" { index += 1 }
                    guard peek == "\n" || peek == "\r\n" else {
                        throw Malformed(line: line, message: "a '\\' in a string must end its line or start an escape")
                    }
                }
                while let next = peek, next.isWhitespace { _ = advance() }
            default:
                throw Malformed(line: line, message: "'\\\(escaped)' is not a TOML escape")
            }
        }
    }

    private mutating func skipFirstNewline() {
        if peek == "\n" || peek == "\r\n" { _ = advance() }
    }
}
