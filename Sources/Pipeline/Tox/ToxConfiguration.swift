/// What gitci takes from a project's tox configuration: the environments `tox -l` lists (the
/// default `env_list`, generative names expanded) and the `labels`, read from the text of one of
/// the files tox reads. Pure: the runner reads the file at the commit and hands its text here.
public struct ToxConfiguration: Sendable, Equatable {
    /// The files tox looks for, in the order it does; `setup.cfg` and `pyproject.toml` count only
    /// when they have a tox section (`fileDeclaresTox`).
    public static let fileNames = ["tox.ini", "setup.cfg", "pyproject.toml", "tox.toml"]

    /// In `tox -l` order, each once.
    public let environments: [String]
    /// Label → environments, in file order.
    public let labels: [Label]

    public struct Label: Sendable, Equatable {
        public let name: String
        public let environments: [String]
    }

    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let message: String

        public var description: String { "\(file):\(line): \(message)" }
    }

    public init(environments: [String], labels: [Label] = []) {
        self.environments = environments
        self.labels = labels
    }

    /// Whether `text`, the content of `file`, configures tox at all: `tox.ini` and `tox.toml`
    /// always do; `setup.cfg` with a `[tox:tox]` section, `pyproject.toml` with `[tool.tox]`.
    public static func fileDeclaresTox(_ file: String, text: String) -> Bool {
        switch file {
        case "setup.cfg": return (try? ToxIni(text))?.sections["tox:tox"] != nil
        case "pyproject.toml":
            guard let toml = try? ToxToml(text) else { return text.contains("[tool.tox") }
            return !toml.entries(under: ["tool", "tox"]).isEmpty
        default: return fileNames.contains(file)
        }
    }

    /// Reads `text` as tox reads the file named `file` (one of `fileNames`).
    public static func parse(_ text: String, file: String) throws(Error) -> ToxConfiguration {
        // tox reads its files as `utf-8-sig`: a byte order mark is not part of the text.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        switch file {
        case "tox.ini": return try ini(text, section: "tox", file: file, lineOffset: 0)
        case "setup.cfg": return try ini(text, section: "tox:tox", file: file, lineOffset: 0)
        case "pyproject.toml", "tox.toml":
            let toml: ToxToml
            do {
                toml = try ToxToml(text)
            } catch {
                throw Error(file: file, line: error.line, message: error.message)
            }
            let root = file == "tox.toml" ? [] : ["tool", "tox"]
            // As tox: the native table wins as soon as it holds anything besides the legacy string.
            let keys = Set(toml.entries(under: root).map { $0.path[root.count] })
            if file == "pyproject.toml", keys == ["legacy_tox_ini"], let legacy = toml.value(at: root + ["legacy_tox_ini"]) {
                guard case .string(let iniText) = legacy.value else {
                    throw Error(file: file, line: legacy.line, message: "tool.tox.legacy_tox_ini must be a string")
                }
                return try ini(iniText, section: "tox", file: file, lineOffset: legacy.line)
            }
            return try native(toml, root: root, file: file)
        default:
            throw Error(file: file, line: 1, message: "is not a file tox reads (\(fileNames.joined(separator: ", ")))")
        }
    }

    // MARK: - INI

    /// `lineOffset`: where the INI text starts in `file` (a `legacy_tox_ini` string), so that
    /// errors point at the file's own lines.
    private static func ini(_ text: String, section: String, file: String, lineOffset: Int) throws(Error) -> ToxConfiguration {
        let reader: ToxIni
        do {
            reader = try ToxIni(text)
        } catch {
            throw Error(file: file, line: error.line + lineOffset, message: error.message)
        }
        var environments: [String] = []
        if let entry = reader.value(["env_list", "envlist"], in: section) {
            do {
                environments = try ToxFactors.envList(entry.value)
            } catch {
                throw Error(file: file, line: entry.line + lineOffset,
                            message: "env_list: '\(error.name)' is not a valid tox environment name")
            }
        }
        var labels: [Label] = []
        if let entry = reader.value(["labels"], in: section) {
            for line in entry.value.split(separator: "\n") where !line.allSatisfy(\.isWhitespace) {
                guard let equals = line.firstIndex(of: "=") else {
                    throw Error(file: file, line: entry.line + lineOffset, message: "labels: '\(line)' is not 'label = environments'")
                }
                let name = String(line[..<equals]).trimmingWhitespace()
                do {
                    labels.append(Label(name: name, environments: try ToxFactors.envList(String(line[line.index(after: equals)...]))))
                } catch {
                    throw Error(file: file, line: entry.line + lineOffset,
                                message: "labels: '\(error.name)' is not a valid tox environment name")
                }
            }
        }
        return ToxConfiguration(environments: environments, labels: labels)
    }

    // MARK: - TOML

    /// tox's native TOML: `env_list` and `labels` are lists of names taken as written (tox
    /// expands no braces there).
    private static func native(_ toml: ToxToml, root: [String], file: String) throws(Error) -> ToxConfiguration {
        let prefix = root.isEmpty ? "" : root.joined(separator: ".") + "."
        func names(_ value: ToxToml.Value, key: String, line: Int) throws(Error) -> [String] {
            guard case .array(let items) = value else {
                throw Error(file: file, line: line, message: "\(prefix)\(key) must be a list of environment names")
            }
            var names: [String] = []
            var seen = Set<String>()
            for item in items {
                guard case .string(let name) = item else {
                    throw Error(file: file, line: line,
                                message: "\(prefix)\(key) has an entry that is not a string; gitci reads environment names only")
                }
                if seen.insert(name).inserted { names.append(name) }
            }
            return names
        }
        var environments: [String] = []
        if let entry = toml.value(at: root + ["env_list"]) {
            environments = try names(entry.value, key: "env_list", line: entry.line)
        }
        var labels: [Label] = []
        for entry in toml.entries(under: root + ["labels"]) {
            let rest = entry.path.dropFirst(root.count + 1)
            if rest.isEmpty { continue }
            labels.append(Label(name: rest.joined(separator: "."), environments: try names(entry.value, key: "labels", line: entry.line)))
        }
        if let entry = toml.value(at: root + ["labels"]) {
            guard case .table(let pairs) = entry.value else {
                throw Error(file: file, line: entry.line, message: "\(prefix)labels must be a table of lists")
            }
            for pair in pairs {
                labels.append(Label(name: pair.key, environments: try names(pair.value, key: "labels.\(pair.key)", line: entry.line)))
            }
        }
        return ToxConfiguration(environments: environments, labels: labels)
    }
}
