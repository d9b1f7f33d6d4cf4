/// What gitci reads from a Python project's `pyproject.toml` to keep its venvs (Runner's
/// PythonEnvironment): the build backend's own requirements.
public enum PythonProject {
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
}
