internal import Yams

/// Reads `matrix:` — axes (`python: ["3.11", "3.12"]`) plus `include` and `exclude` lists.
enum MatrixReader {
    static func read(_ node: Node, _ what: String, _ reader: inout NodeReader) -> MatrixConfig? {
        guard let entries = reader.mapping(node, what) else { return nil }
        let errorsBefore = reader.sink.diagnostics.count
        var matrix = MatrixConfig(axes: [], include: [], exclude: [], location: NodeReader.location(node))
        for (key, value) in entries {
            switch key.value {
            case "include", "exclude":
                let combinations = combinationList(value, "'\(key.value)' of \(what)", &reader)
                if key.value == "include" { matrix.include = combinations } else { matrix.exclude = combinations }
            default:
                guard Identifier.isEnvironmentName(key.value) else {
                    reader.sink.error("matrix axis '\(NodeReader.truncated(key.value))' in \(what) must be a valid environment variable name (letters, digits, _)", at: key.location)
                    continue
                }
                guard let values = reader.stringList(value, "axis '\(key.value)' of \(what)") else { continue }
                if values.isEmpty {
                    reader.sink.error("matrix axis '\(key.value)' in \(what) has no values: the matrix is empty", at: key.location)
                }
                // A repeated value is reported once, here, and kept once: twice would also name
                // two jobs alike.
                var seen = Set<String>()
                var distinct: [String] = []
                for value in values where isNameable(value.value, at: value.location, &reader) {
                    if seen.insert(value.value).inserted {
                        distinct.append(value.value)
                    } else {
                        reader.sink.error("value '\(NodeReader.truncated(value.value))' appears twice in matrix axis '\(key.value)'", at: value.location)
                    }
                }
                matrix.axes.append((key, distinct))
            }
        }
        matrix.isIncomplete = reader.sink.diagnostics.count > errorsBefore
        return matrix
    }

    /// Matrix values become part of job names (`test (python=3.12)`), which end up in log lines,
    /// file names and notes: no line breaks or other control characters.
    static func isNameable(_ value: String, at location: SourceLocation, _ reader: inout NodeReader) -> Bool {
        guard value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return true }
        reader.sink.error("matrix value '\(NodeReader.truncated(value))' must not contain control characters: it becomes part of the job name", at: location)
        return false
    }

    static func combinationList(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [[(key: String, value: String)]] {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .mapping: items = [node]
        default:
            if !NodeReader.isNull(node) {
                reader.error("\(what) must be a list of mappings, not \(NodeReader.describe(node))", at: node)
            }
            return []
        }
        var combinations: [[(key: String, value: String)]] = []
        for item in items {
            guard let entries = reader.mapping(item, "an entry of \(what)") else { continue }
            var combination: [(key: String, value: String)] = []
            var valid = !entries.isEmpty
            for (key, value) in entries {
                guard Identifier.isEnvironmentName(key.value) else {
                    reader.sink.error("matrix key '\(NodeReader.truncated(key.value))' in \(what) must be a valid environment variable name", at: key.location)
                    valid = false
                    continue
                }
                if let text = reader.string(value, "'\(key.value)' in \(what)", allowEmpty: true),
                   isNameable(text, at: NodeReader.location(value), &reader) {
                    combination.append((key.value, text))
                } else {
                    valid = false
                }
            }
            if entries.isEmpty { reader.error("an entry of \(what) is empty", at: item) }
            // An entry with a mistake is left out rather than half applied: an exclude entry
            // missing a key would exclude more than was written.
            if valid { combinations.append(combination) }
        }
        return combinations
    }
}
