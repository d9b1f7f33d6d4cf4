/// What gitci reads from a Python project: for `gitci init`, what it needs to write a pipeline
/// that passes on the project as it stands (where the code and the tests are, how its version is
/// made, which extra holds the test dependencies, which tools it already configures); for the
/// venvs of `python:` jobs (Runner's PythonEnvironment), its build backend's requirements.
///
/// Read from file contents handed in by the caller (the working tree, or a commit), so that the
/// same reading serves both and stays free of I/O.
public struct PythonProject: Equatable, Sendable {
    public enum Layout: String, Sendable { case src, flat }

    public var name: String?
    public var layout: Layout
    /// `tests`, `testing`, `test`, or what `[tool.pytest.ini_options] testpaths` names.
    public var testPaths: [String]
    public var requiresPython: String?
    /// The optional-dependencies extra that installs the test tools, e.g. `test` in `.[test]`.
    public var testExtra: String?
    /// A requirements file of test tools, when no extra holds them.
    public var testRequirements: String?
    /// setuptools-scm or hatch-vcs: the version comes from git tags, so the build needs history.
    public var versionFromGit: Bool
    public var buildable: Bool
    public var ruffConfigured: Bool
    public var coverageConfigured: Bool
    public var toxConfigured: Bool
    /// What could not be read (a malformed pyproject.toml): the pipeline is still written, from
    /// what could be seen, and the user is told.
    public var warnings: [String] = []

    static let testExtraNames = ["test", "tests", "testing", "dev"]
    static let testRequirementFiles = ["requirements-test.txt", "requirements-tests.txt", "test-requirements.txt",
                                       "requirements-dev.txt", "dev-requirements.txt", "requirements/test.txt",
                                       "requirements/tests.txt", "requirements/dev.txt"]
    static let testFolders = ["tests", "testing", "test"]

    /// What pip falls back to for a project without `[build-system]` (PEP 517/518).
    public static let defaultBuildRequirements = ["setuptools>=40.8.0"]

    /// `[build-system] requires` of `pyproject` (the file's text; nil: there is none); the
    /// default when the file or the table does not say, or cannot be read.
    public static func buildRequirements(pyproject: String?) -> [String] {
        guard let pyproject, let toml = try? ToxToml(pyproject),
              case .array(let values)? = toml.value(at: ["build-system", "requires"])?.value else {
            return defaultBuildRequirements
        }
        return values.compactMap { value in
            if case .string(let text) = value { return text }
            return nil
        }
    }

    /// - Parameters:
    ///   - read: the text of a file at a path relative to the project root, nil when absent.
    ///   - isFolder: whether a folder exists at a path relative to the project root.
    public init(read: (String) -> String?, isFolder: (String) -> Bool) {
        let pyproject = read("pyproject.toml")
        var toml: ToxToml?
        var warnings: [String] = []
        if let pyproject {
            do {
                toml = try ToxToml(pyproject)
            } catch {
                warnings.append("pyproject.toml:\(error.line): \(error.message); the pipeline is written from the other files")
            }
        }
        func string(_ path: [String]) -> String? {
            if case .string(let value)? = toml?.value(at: path)?.value { return value }
            return nil
        }
        func strings(_ path: [String]) -> [String] {
            guard case .array(let values)? = toml?.value(at: path)?.value else { return [] }
            return values.compactMap { if case .string(let value) = $0 { return value } else { return nil } }
        }
        func hasTable(_ prefix: [String]) -> Bool { !(toml?.entries(under: prefix).isEmpty ?? true) }
        let setupCfg = read("setup.cfg")
        let setupPy = read("setup.py")

        name = string(["project", "name"]) ?? Self.iniValue(setupCfg, section: "metadata", key: "name")
        requiresPython = string(["project", "requires-python"])
            ?? Self.iniValue(setupCfg, section: "options", key: "python_requires")

        let extras = toml?.entries(under: ["project", "optional-dependencies"]).compactMap { $0.path.count == 3 ? $0.path[2] : nil } ?? []
        testExtra = Self.testExtraNames.first { extras.contains($0) }
        testRequirements = testExtra == nil ? Self.testRequirementFiles.first { read($0) != nil } : nil

        let buildRequires = strings(["build-system", "requires"]).joined(separator: " ")
        versionFromGit = buildRequires.contains("setuptools_scm") || buildRequires.contains("setuptools-scm")
            || buildRequires.contains("hatch-vcs") || hasTable(["tool", "setuptools_scm"])
            || string(["tool", "hatch", "version", "source"]) == "vcs"
            || (setupPy?.contains("use_scm_version") ?? false)
        buildable = toml?.value(at: ["build-system", "build-backend"]) != nil || setupPy != nil || setupCfg != nil
            || hasTable(["project"])

        ruffConfigured = hasTable(["tool", "ruff"]) || read("ruff.toml") != nil || read(".ruff.toml") != nil
        coverageConfigured = hasTable(["tool", "coverage"]) || read(".coveragerc") != nil
            || (setupCfg?.contains("[coverage:") ?? false)
        toxConfigured = read("tox.ini") != nil || read("tox.toml") != nil || hasTable(["tool", "tox"])
            || (setupCfg?.contains("[tox:tox]") ?? false)

        // They reach a step's command line: only plain relative folder names are taken.
        let configuredPaths = strings(["tool", "pytest", "ini_options", "testpaths"]).filter { path in
            isFolder(path) && !path.hasPrefix("/") && !path.hasPrefix("-") && !path.split(separator: "/").contains("..")
                && path.unicodeScalars.allSatisfy(Self.isPlainPathCharacter)
        }
        testPaths = configuredPaths.isEmpty ? Self.testFolders.first(where: isFolder).map { [$0] } ?? [] : configuredPaths
        layout = isFolder("src") ? .src : .flat
        self.warnings = warnings
    }

    /// The characters a test folder's name may hold to be written into a step's command.
    static func isPlainPathCharacter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "._/-".unicodeScalars.contains(scalar)
    }

    /// The value of `key` in `[section]` of an ini file, one line only: what setup.cfg metadata
    /// needs for a name or a Python range.
    static func iniValue(_ text: String?, section: String, key: String) -> String? {
        guard let text else { return nil }
        var inSection = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = String(raw).trimmingWhitespace()
            if line.hasPrefix("[") { inSection = line == "[\(section)]"; continue }
            guard inSection, let equals = line.firstIndex(of: "=") else { continue }
            if String(line[..<equals]).trimmingWhitespace() == key {
                let value = String(line[line.index(after: equals)...]).trimmingWhitespace()
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}
