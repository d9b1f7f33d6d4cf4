/// The INI files tox reads (`tox.ini`, `setup.cfg`, a `legacy_tox_ini` string), as Python's
/// `configparser` reads them for tox: `[section]` headers, `key = value` (or `key: value`),
/// a value continued on the lines indented under it, whole-line `#`/`;` comments; then, as
/// tox's loader does, inline ` # comments` and `\` line joins removed from the value.
struct ToxIni {
    struct Entry {
        let value: String
        let line: Int
    }

    struct Malformed: Error {
        let line: Int
        let message: String
    }

    /// Section name → key (lower-cased, as configparser does) → value.
    private(set) var sections: [String: [String: Entry]] = [:]

    init(_ text: String) throws(Malformed) {
        var section: String?
        var key: String?
        var keyIndent = 0
        var valueLines: [String] = []
        var valueLine = 0
        func finish() {
            guard let section, let key else { return }
            while valueLines.count > 1, valueLines.last?.isEmpty == true { valueLines.removeLast() }
            sections[section, default: [:]][key] = Entry(value: valueLines.joined(separator: "\n"), line: valueLine)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let number = offset + 1
            let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            let stripped = String(line).trimmingWhitespace()
            if stripped.hasPrefix("#") || stripped.hasPrefix(";") { continue }
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            if stripped.isEmpty {
                if key != nil { valueLines.append("") }
                continue
            }
            if key != nil, indent > keyIndent {
                valueLines.append(stripped)
                continue
            }
            if stripped.hasPrefix("["), stripped.hasSuffix("]"), stripped.count > 2 {
                finish()
                key = nil
                let name = String(stripped.dropFirst().dropLast())
                section = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let delimiter = stripped.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw Malformed(line: number, message: "'\(stripped)' is neither a [section], a key = value line, nor indented under one")
            }
            guard section != nil else {
                throw Malformed(line: number, message: "'\(stripped)' comes before any [section]")
            }
            finish()
            key = String(stripped[..<delimiter]).trimmingWhitespace().lowercased()
            keyIndent = indent
            valueLines = [String(stripped[stripped.index(after: delimiter)...]).trimmingWhitespace()]
            valueLine = number
        }
        finish()
    }

    /// The value of the first of `keys` that `section` has, as tox's loader hands it on.
    func value(_ keys: [String], in section: String) -> Entry? {
        guard let entries = sections[section] else { return nil }
        for key in keys {
            if let entry = entries[key] { return Entry(value: Self.processed(entry.value), line: entry.line) }
        }
        return nil
    }

    /// tox's `process_raw`: lines starting with `#` dropped, ` # comment` cut (not `\#`, which
    /// becomes `#`), and a `\` at a line's end joins it with the next.
    static func processed(_ value: String) -> String {
        var lines: [String] = []
        for line in value.split(separator: "\n", omittingEmptySubsequences: false) where !line.hasPrefix("#") {
            var kept = ""
            var previous: Character?
            for character in line {
                if character == "#", previous != "\\" { break }
                kept.append(character)
                previous = character
            }
            if kept.count < line.count {
                while let last = kept.last, last.isWhitespace { kept.removeLast() }
            }
            lines.append(kept.replacingAll("\\#", with: "#"))
        }
        return lines.joined(separator: "\n").replacingAll("\\\n", with: "")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
