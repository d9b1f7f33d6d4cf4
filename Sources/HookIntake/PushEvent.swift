/// One `<old> <new> <ref>` line of a push, as the post-receive hook received it, with the
/// push's options (`git push -o ...`).
public struct PushEvent: Sendable, Hashable, Codable {
    public static let zero = String(repeating: "0", count: 40)

    public var old: String
    public var new: String
    public var ref: String
    public var options: [String]

    public init(old: String, new: String, ref: String, options: [String] = []) {
        self.old = old
        self.new = new
        self.ref = ref
        self.options = options
    }

    /// How the hooks add an update to the queue's `events` table (Store's BuildQueue, and the
    /// lean hook's C code, which is handed it): received time, old, new, ref, options (JSON).
    public static let insertion = "INSERT INTO events (received, old, new, ref, options) VALUES (?, ?, ?, ?, ?)"
    /// The options column of an update without push options.
    public static let noOptions = "[]"

    /// `git push -o ...` values, as git hands them to the receive hooks (present when the
    /// repository advertises push options); `variable` looks up the hook's environment.
    public static func pushOptions(_ variable: (String) -> String?) -> [String] {
        guard let count = variable("GIT_PUSH_OPTION_COUNT").flatMap({ Int($0) }), count > 0 else { return [] }
        return (0..<min(count, 100)).compactMap { variable("GIT_PUSH_OPTION_\($0)") }
    }

    public var isDeletion: Bool { new == Self.zero }
    public var isCreation: Bool { old == Self.zero }

    public enum LineError: Error, CustomStringConvertible {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let line): return "not an '<old> <new> <ref>' line: \(line.prefix(120))"
            }
        }
    }

    /// Parses one hook line. Ids must be 40 hex digits; the ref is kept as git gave it (it may
    /// hold any character git allows in a ref name, and is only ever passed as data).
    public static func parse(_ line: Substring, options: [String]) throws(LineError) -> PushEvent {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, isObjectID(parts[0]), isObjectID(parts[1]), parts[2].hasPrefix("refs/"),
              !parts[2].contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw .malformed(String(line))
        }
        return PushEvent(old: parts[0].lowercased(), new: parts[1].lowercased(), ref: String(parts[2]), options: options)
    }

    private static func isObjectID(_ text: Substring) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
    }
}
