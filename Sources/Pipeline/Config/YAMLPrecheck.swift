internal import CYaml

/// Walks the raw libyaml event stream once, iteratively, before Yams composes a tree.
///
/// Yams composes recursively (deep nesting overflows the stack) and expands aliases by copying
/// (a "billion laughs" file, or an alias used as a mapping key that Yams hashes, takes
/// exponential time). Both are refused here with the location of the offending node.
enum YAMLPrecheck {
    static let maximumDepth = 64
    static let maximumExpandedNodes = 1_000_000

    /// Returns nil when the document is safe to compose, or a message and its location.
    /// Syntax errors are left for Yams to report, with its own wording.
    static func check(_ bytes: [UInt8]) -> (message: String, location: SourceLocation)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // Each open collection: its expanded size so far and its anchor, if any.
            var open: [(size: Int, anchor: String?)] = [(0, nil)]
            var anchorSizes: [String: Int] = [:]
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let location = SourceLocation(line: Int(event.start_mark.line) + 1,
                                              column: Int(event.start_mark.column) + 1)
                var leafSize: Int?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    if let anchor = event.data.scalar.anchor { anchorSizes[string(anchor)] = 1 }
                    leafSize = 1
                case YAML_ALIAS_EVENT:
                    leafSize = event.data.alias.anchor.flatMap { anchorSizes[string($0)] } ?? 1
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    open.append((1, anchor.map(string)))
                    if open.count - 1 > maximumDepth {
                        return ("nesting deeper than \(maximumDepth) levels", location)
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    let closed = open.removeLast()
                    if let anchor = closed.anchor { anchorSizes[anchor] = closed.size }
                    leafSize = closed.size
                default:
                    break
                }
                if let leafSize {
                    open[open.count - 1].size += leafSize
                    if open[open.count - 1].size > maximumExpandedNodes {
                        return ("aliases expand this document to more than \(maximumExpandedNodes) nodes", location)
                    }
                }
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>) -> String {
        String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }
}
