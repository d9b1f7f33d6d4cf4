internal import Yams

/// Reads typed values out of a Yams node tree, recording a located diagnostic for every value
/// of the wrong shape instead of stopping at the first.
struct NodeReader {
    var sink: DiagnosticSink

    static func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return .start }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            if isNull(node) { return "nothing (null)" }
            return "'\(truncated(node.scalar?.string ?? ""))'"
        }
    }

    static func truncated(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    mutating func error(_ message: String, at node: Node) {
        sink.error(message, at: Self.location(node))
    }

    /// The entries of a mapping with string keys, `<<` merge keys applied (explicit keys win),
    /// duplicate keys reported. Nil (with a diagnostic) when `node` is not a mapping.
    mutating func mapping(_ node: Node, _ what: String) -> [(key: Located<String>, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            if Self.isNull(node) { return [] }
            error("\(what) must be a mapping, not \(Self.describe(node))", at: node)
            return nil
        }
        var entries: [(key: Located<String>, value: Node)] = []
        var merged: [(key: Located<String>, value: Node)] = []
        // Sets, not searches of the lists: one template of 10,000 keys merged into many jobs
        // must stay linear.
        var mergedKeys = Set<String>()
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error("keys in \(what) must be plain names, not \(Self.describe(keyNode))", at: keyNode)
                continue
            }
            if scalar.string == "<<" && scalar.style == .plain {
                let sources: [Node]
                if case .sequence(let list) = value { sources = Array(list) } else { sources = [value] }
                for source in sources {
                    guard let sourceEntries = self.mapping(source, "a '<<' merge") else { continue }
                    for entry in sourceEntries where mergedKeys.insert(entry.key.value).inserted {
                        merged.append(entry)
                    }
                }
                continue
            }
            entries.append((Located(scalar.string, at: Self.location(keyNode)), value))
        }
        let explicitKeys = Set(entries.map(\.key.value))
        for entry in merged where !explicitKeys.contains(entry.key.value) {
            entries.append(entry)
        }
        return entries
    }

    /// Reports keys outside `allowed`, suggesting the closest allowed key when one is near.
    mutating func rejectUnknownKeys(_ entries: [(key: Located<String>, value: Node)], allowed: [String], in what: String) {
        for (key, _) in entries where !allowed.contains(key.value) {
            var message = "unknown key '\(Self.truncated(key.value))' in \(what)"
            if let suggestion = Suggestion.closest(to: key.value, among: allowed) {
                message += "; did you mean '\(suggestion)'?"
            }
            sink.error(message, at: key.location)
        }
    }

    /// A scalar as text (numbers and booleans as written, so `3.10` stays `3.10`).
    mutating func string(_ node: Node, _ what: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) || allowEmpty else {
            error("\(what) must be text, not \(Self.describe(node))", at: node)
            return nil
        }
        if !allowEmpty && scalar.string.trimmingWhitespace().isEmpty {
            error("\(what) must not be empty", at: node)
            return nil
        }
        return Self.isNull(node) ? "" : scalar.string
    }

    /// A list of texts; a single text is taken as a list of one.
    mutating func stringList(_ node: Node, _ what: String) -> [Located<String>]? {
        if Self.isNull(node) { return [] }
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar: items = [node]
        default:
            error("\(what) must be a list of texts, not \(Self.describe(node))", at: node)
            return nil
        }
        var values: [Located<String>] = []
        for item in items {
            if let text = string(item, "each entry of \(what)") {
                values.append(Located(text, at: Self.location(item)))
            }
        }
        return values
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if case .scalar(let scalar) = node {
            switch scalar.string {
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
            default: break
            }
        }
        error("\(what) must be true or false, not \(Self.describe(node))", at: node)
        return nil
    }

    mutating func duration(_ node: Node, _ what: String) -> Seconds? {
        guard let text = string(node, what) else { return nil }
        guard let seconds = Seconds.parse(text) else {
            error("\(what) '\(Self.truncated(text))' is not a duration such as 90s, 10m, 1h30m (at most a year)", at: node)
            return nil
        }
        return seconds
    }

    /// An `env:` mapping: names must be usable as environment variable names.
    mutating func environment(_ node: Node, _ what: String) -> [EnvironmentVariable] {
        guard let entries = mapping(node, what) else { return [] }
        var variables: [EnvironmentVariable] = []
        for (key, value) in entries {
            guard Identifier.isEnvironmentName(key.value) else {
                sink.error("'\(Self.truncated(key.value))' in \(what) is not a valid environment variable name", at: key.location)
                continue
            }
            if let text = string(value, "the value of \(key.value) in \(what)", allowEmpty: true) {
                variables.append(EnvironmentVariable(name: key.value, value: text))
            }
        }
        return variables
    }
}

package enum Identifier {
    /// `[A-Za-z_][A-Za-z0-9_]*`: what a POSIX shell accepts as a variable name.
    package static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !name.isEmpty, name.utf8.count <= 128 else { return false }
        func letter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F }
        return letter(first) && name.utf8.allSatisfy { letter($0) || (0x30...0x39).contains($0) }
    }
}

enum Suggestion {
    /// The candidate within a small edit distance of `word`, if there is a clear one.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        let scored = candidates.map { ($0, distance(lowered, $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let threshold = max(1, min(3, best.0.count / 3))
        return best.1 <= threshold ? best.0 : nil
    }

    /// Edits between `a` and `b`, a swap of two neighbours counting as one: `stpes` is one typo
    /// away from `steps`, not two.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64)), b = Array(b.unicodeScalars.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}
