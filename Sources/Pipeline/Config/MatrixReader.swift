internal import Yams

/// Reads `matrix:` — axes (`python: ["3.11", "3.12"]`) plus `include` and `exclude` lists.
enum MatrixReader {
    static func read(_ node: Node, _ what: String, _ reader: inout NodeReader) -> MatrixConfig? {
        guard let entries = reader.mapping(node, what) else { return nil }
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
                var seen = Set<String>()
                for value in values where !seen.insert(value.value).inserted {
                    reader.sink.error("value '\(NodeReader.truncated(value.value))' appears twice in matrix axis '\(key.value)'", at: value.location)
                }
                matrix.axes.append((key, values.map(\.value)))
            }
        }
        return matrix
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
            for (key, value) in entries {
                guard Identifier.isEnvironmentName(key.value) else {
                    reader.sink.error("matrix key '\(NodeReader.truncated(key.value))' in \(what) must be a valid environment variable name", at: key.location)
                    continue
                }
                if let text = reader.string(value, "'\(key.value)' in \(what)", allowEmpty: true) {
                    combination.append((key.value, text))
                }
            }
            if entries.isEmpty { reader.error("an entry of \(what) is empty", at: item) }
            combinations.append(combination)
        }
        return combinations
    }
}
