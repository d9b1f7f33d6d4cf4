internal import Yams

extension PipelineConfig {
    /// Pipeline files past this size are refused outright: no real pipeline comes near it, and a
    /// huge one would only slow down every push.
    public static let maximumFileSize = 1 << 20

    public static let topLevelKeys = ["stages", "branches", "tags", "env", "jobs", "interruptible", "schedules"]
    public static let jobKeys = [
        "stage", "steps", "needs", "env", "matrix", "timeout", "labels", "when", "allow_failure",
        "interruptible", "inputs", "changes", "changes_base", "cache", "repos", "artifacts", "junit", "secrets", "from", "submodules",
        "shell",
        "artifacts_when", "artifacts_required", "dependencies",
        "python", "install",
    ]

    /// Parses and checks a pipeline file. Every problem is reported at once, with its line and
    /// column; nothing here can crash or hang on hostile bytes.
    public static func parse(_ bytes: [UInt8], file: String = ".gitci.yml") throws(ConfigError) -> PipelineConfig {
        var sink = DiagnosticSink(file: file)
        guard bytes.count <= maximumFileSize else {
            sink.error("the file is \(bytes.count) bytes; a pipeline file may be at most \(maximumFileSize) bytes", at: .start)
            try sink.check()
            fatalError("unreachable")
        }
        // Windows editors may start a UTF-8 file with a byte order mark; given to Yams, it becomes
        // part of the first key and breaks the indentation of every top-level key after it.
        let text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        if let problem = TextCheck.firstProblem(in: text) {
            sink.error(problem.message, at: problem.location)
            try sink.check()
        }
        let structuralProblems = YAMLPrecheck.check(text)
        if !structuralProblems.isEmpty {
            for problem in structuralProblems { sink.error(problem.message, at: problem.location) }
            try sink.check()
        }
        let root: Node?
        do {
            // No implicit tag resolution: gitci reads every scalar as the text written (its
            // own booleans, durations, `<<` merges), and Yams' default resolver runs regular
            // expressions over each scalar, a third of the time a 200-job file takes. UTF-8
            // named, not Yams' default encoding, which builds a dictionary of the whole
            // environment at every parse to look for an override (~0.2 ms the first time).
            root = try Yams.compose(yaml: String(decoding: text, as: UTF8.self), .basic, .default, .utf8)
        } catch let error as YamlError {
            let (message, location) = YAMLErrorText.describe(error, in: text)
            sink.error(message, at: location)
            try sink.check()
            fatalError("unreachable")
        } catch {
            sink.error("cannot read the file as YAML: \(error)", at: .start)
            try sink.check()
            fatalError("unreachable")
        }
        guard let root, !NodeReader.isNull(root) else {
            sink.error("the pipeline file is empty: it needs a 'jobs' mapping", at: .start)
            try sink.check()
            fatalError("unreachable")
        }
        var reader = NodeReader(sink: sink)
        var unreadableJobs = Set<String>()
        let config = ConfigReader.read(root, &reader, unreadableJobs: &unreadableJobs)
        if let config, !reader.sink.isEmpty {
            // The file is wrong anyway: add what planning finds (missing needs, cycles, empty or
            // oversized matrices, duplicate names), so that every error comes back in one round.
            _ = Plan.plannedJobs(config, sink: &reader.sink, unreadableJobs: unreadableJobs)
        }
        try reader.sink.check()
        return config!
    }
}

/// Turns Yams' errors into one line and a location, dropping its multi-line snippets.
enum YAMLErrorText {
    static func describe(_ error: YamlError, in bytes: [UInt8]) -> (String, SourceLocation) {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            // libyaml's own limit (1,000 levels, met before gitci's 64 when it reads ahead).
            if problem.hasPrefix("Maximum nesting level reached") {
                return ("nesting deeper than \(YAMLPrecheck.maximumDepth) levels", at(mark))
            }
            var message = "YAML syntax error: "
            if let context, context.text.hasPrefix("while ") {
                // libyaml notices an unclosed bracket or quote where the file ends: say where it opened.
                message += "\(problem) \(context.text)"
                if context.mark.line != mark.line || context.mark.column != mark.column {
                    message += " that starts at \(context.mark.line):\(context.mark.column)"
                }
            } else {
                message += (context.map { "\($0.text) " } ?? "") + problem
            }
            if problem == "found character that cannot start any token", character(at: at(mark), in: bytes) == 0x09 {
                message += " (a tab: YAML is indented with spaces only)"
            }
            return (message, at(mark))
        case let .reader(problem, _, _, _):
            return ("cannot read the file: \(problem)", .start)
        case let .duplicatedKeysInMapping(duplicates, context):
            let names = duplicates.map { "'\(NodeReader.truncated($0))'" }.joined(separator: ", ")
            return ("duplicate key \(names) in the same mapping", at(context.mark))
        default:
            return ("cannot read the file as YAML: \(error)", .start)
        }
    }

    /// The first byte of the character at `location` (columns count Unicode scalars).
    static func character(at location: SourceLocation, in bytes: [UInt8]) -> UInt8? {
        var line = 1, column = 1
        for byte in bytes where byte & 0xC0 != 0x80 {  // skip UTF-8 continuation bytes
            if line == location.line && column == location.column { return byte }
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return nil
    }
}

/// Refuses bytes that are not text: invalid UTF-8, NUL and other control characters.
enum TextCheck {
    static func firstProblem(in bytes: [UInt8]) -> (message: String, location: SourceLocation)? {
        var line = 1, column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let value = scalar.value
                if value == 0x0A {
                    line += 1
                    column = 1
                    continue
                }
                if value < 0x20 && value != 0x09 && value != 0x0D || value == 0x7F {
                    return ("the file is not text: control character 0x\(String(value, radix: 16)) (is it a binary file?)",
                            SourceLocation(line: line, column: column))
                }
                column += 1
            case .emptyInput:
                return nil
            case .error:
                return ("the file is not valid UTF-8 text", SourceLocation(line: line, column: column))
            }
        }
    }
}
