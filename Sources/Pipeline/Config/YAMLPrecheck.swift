internal import CYaml

/// Walks the raw libyaml event stream once, iteratively, before Yams composes a tree.
///
/// Yams composes recursively (deep nesting overflows the stack) and expands aliases by copying
/// (a "billion laughs" file, or an alias used as a mapping key that Yams hashes, takes
/// exponential time). Both are refused here with the location of the offending node. Duplicate
/// keys are found here too, because only the event stream still says where each key was written.
enum YAMLPrecheck {
    static let maximumDepth = 64
    static let maximumExpandedNodes = 1_000_000

    /// An open sequence or mapping while the events are walked.
    private struct Collection {
        var size = 1
        var anchor: String?
        var isMapping = false
        /// In a mapping: whether the next node is a key (keys and values alternate).
        var expectingKey = true
        /// In a mapping: where each plain-text key was first written.
        var keys: [String: SourceLocation] = [:]
    }

    /// Problems that make the document unsafe or wrong to compose, with their locations: empty
    /// when it is safe. Nesting and alias expansion stop the walk at once; every duplicate key is
    /// reported, where it is repeated (Yams reports only the first, at its first occurrence).
    /// Syntax errors are left for Yams to report, with its own wording.
    static func check(_ bytes: [UInt8]) -> [(message: String, location: SourceLocation)] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return [] }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var problems: [(message: String, location: SourceLocation)] = []
            var open = [Collection()]
            var anchorSizes: [String: Int] = [:]
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return problems }
                defer { yaml_event_delete(&event) }
                let location = SourceLocation(line: Int(event.start_mark.line) + 1,
                                              column: Int(event.start_mark.column) + 1)
                // A scalar in key position of a mapping: check it against the keys before it.
                if event.type == YAML_SCALAR_EVENT, open[open.count - 1].isMapping, open[open.count - 1].expectingKey,
                   let value = event.data.scalar.value {
                    let key = String(decoding: UnsafeBufferPointer(start: value, count: event.data.scalar.length), as: UTF8.self)
                    if let first = open[open.count - 1].keys[key] {
                        problems.append(("duplicate key '\(NodeReader.truncated(key))'; the first is at \(first.line):\(first.column)", location))
                    } else {
                        open[open.count - 1].keys[key] = location
                    }
                }
                var leafSize: Int?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return problems
                case YAML_SCALAR_EVENT:
                    if let anchor = event.data.scalar.anchor { anchorSizes[string(anchor)] = 1 }
                    leafSize = 1
                case YAML_ALIAS_EVENT:
                    leafSize = event.data.alias.anchor.flatMap { anchorSizes[string($0)] } ?? 1
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let isMapping = event.type == YAML_MAPPING_START_EVENT
                    let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                    open.append(Collection(anchor: anchor.map(string), isMapping: isMapping))
                    if open.count - 1 > maximumDepth {
                        return problems + [("nesting deeper than \(maximumDepth) levels", location)]
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    let closed = open.removeLast()
                    if let anchor = closed.anchor { anchorSizes[anchor] = closed.size }
                    leafSize = closed.size
                default:
                    break
                }
                if let leafSize {
                    // A whole node is done: it counts towards its parent, and in a mapping the
                    // next node switches between key and value.
                    open[open.count - 1].size += leafSize
                    open[open.count - 1].expectingKey.toggle()
                    if open[open.count - 1].size > maximumExpandedNodes {
                        return problems + [("aliases expand this document to more than \(maximumExpandedNodes) nodes", location)]
                    }
                }
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>) -> String {
        String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }
}
