/// A place in the pipeline file, 1-based, columns counted in Unicode scalars (as libyaml does).
public struct SourceLocation: Sendable, Hashable, Comparable {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = max(line, 1)
        self.column = max(column, 1)
    }

    public static let start = SourceLocation(line: 1, column: 1)

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One problem in a pipeline file, printed as `FILE:LINE:COL: message`.
public struct ConfigDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let location: SourceLocation
    public let message: String

    /// Control characters in `message` (quoted from the file: keys, names, values) are written
    /// as escapes, so that a diagnostic is always exactly one line.
    public init(file: String, location: SourceLocation, message: String) {
        self.file = file
        self.location = location
        self.message = Self.printable(message)
    }

    public var description: String { "\(file):\(location.line):\(location.column): \(message)" }

    static func printable(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
        }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": result.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": result.append(contentsOf: #"\t"#.unicodeScalars)
            case _ where isControl(scalar): result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}

/// Every problem found in a pipeline file, in file order. Thrown only when there is at least one.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics.sorted { $0.location < $1.location }
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics while a file is read, so that all of them are reported at once.
struct DiagnosticSink {
    let file: String
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// The same diagnostics, for a constant-time duplicate check: a hostile file can produce
    /// one error per node, and a linear search per error made 100,000 of them take minutes.
    private var reported: Set<ConfigDiagnostic> = []
    /// A hostile file can produce one error per node; past this many the rest are summarised.
    static let limit = 200

    init(file: String) {
        self.file = file
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        let diagnostic = ConfigDiagnostic(file: file, location: location, message: message)
        if reported.insert(diagnostic).inserted { diagnostics.append(diagnostic) }
    }

    var isEmpty: Bool { diagnostics.isEmpty }

    func check() throws(ConfigError) {
        guard !diagnostics.isEmpty else { return }
        var sorted = diagnostics.sorted { $0.location < $1.location }
        if sorted.count > Self.limit {
            let extra = sorted.count - Self.limit
            sorted = Array(sorted.prefix(Self.limit))
            sorted.append(ConfigDiagnostic(file: file, location: sorted.last!.location,
                                           message: "\(extra) more errors not shown"))
        }
        throw ConfigError(sorted)
    }
}
