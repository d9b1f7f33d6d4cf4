/// The `.gitci.yml` that `gitci init` writes for a Python project: lint, one build of the sdist
/// and wheel kept as artifacts, tests on every admitted interpreter installing that wheel, the
/// project's tox environments when it has them, and a publish job left commented out.
///
/// Chosen to pass on the project as it is: lint with the project's own ruff rules when it has
/// some, else only with the rules that find certain bugs; tests run where the project keeps them.
public enum PythonStarter {
    static let maintained = PythonVersionRange(">=3.10")!

    /// - Parameters:
    ///   - interpreters: the minor versions found on this machine, e.g. `["3.11", "3.12"]`.
    public static func pipeline(for project: PythonProject, interpreters: [String]) -> String {
        let range = project.requiresPython.flatMap(PythonVersionRange.init)
        let sorted = interpreters.sorted { $0.split(separator: ".").compactMap { Int($0) }.lexicographicallyPrecedes($1.split(separator: ".").compactMap { Int($0) }) }
        // Without a range, interpreters past their end of life are left out: current tools no
        // longer install on them.
        var admitted = sorted.filter { range?.admits($0) ?? Self.maintained.admits($0) }
        var versionNote: String?
        if admitted.isEmpty, let newest = sorted.last {
            admitted = [newest]
            versionNote = "no interpreter on this machine is in requires-python (\(project.requiresPython ?? "")); add the versions your build nodes have"
        } else if admitted.isEmpty {
            admitted = ["3"]
            versionNote = "no python3.X was found on this machine; list the versions your build nodes have"
        }
        let newest = admitted.last ?? "3"

        var text = Lines()
        text.add("# gitci pipeline for \(project.name.map(commentSafe) ?? "this Python project"), written by `gitci init` from what the project holds:")
        text.add("#   \(summary(of: project)).")
        text.add("# Check it with `gitci validate`, run it with `gitci run`; every key is in gitci's README.")
        text.add("stages: [check, build, test]")
        text.add("")
        text.add("env:")
        text.add("  PYTHONDONTWRITEBYTECODE: \"1\"")
        text.add("")
        text.add("jobs:")
        text.add("  lint:")
        text.add("    stage: check")
        text.add("    python: \(quoted(newest))")
        text.add("    install: [ruff]")
        text.add("    steps:")
        if project.ruffConfigured {
            text.add("      # The project's own ruff rules apply.")
            text.add("      - { name: ruff, run: ruff check . }")
        } else {
            text.add("      # The project configures no ruff rules: only what is surely a bug (syntax errors,")
            text.add("      # undefined names). Configure [tool.ruff] and drop --select to lint more.")
            text.add("      - { name: ruff, run: \"ruff check --select E9,F63,F7,F82 .\" }")
        }
        text.add("")
        if project.buildable {
            text.add("  build:")
            text.add("    stage: build")
            text.add("    python: \(quoted(newest))")
            text.add("    install: [build]")
            if project.versionFromGit {
                text.add("    # The version comes from git tags: the workspace is a real checkout, so it is there.")
            }
            text.add("    steps:")
            text.add("      - { name: sdist and wheel, run: python -m build --outdir dist . }")
            text.add("    artifacts: [dist/*.tar.gz, dist/*.whl]")
            text.add("")
        }
        text.add("  test:")
        text.add("    stage: test")
        if project.buildable { text.add("    needs: [build]") }
        if let versionNote { text.add("    # \(versionNote)") }
        text.add("    python: [\(admitted.map(quoted).joined(separator: ", "))]")
        // The code tested is the wheel built once, installed with its dependencies into the venv
        // (kept between builds; the wheel itself is installed again each build).
        let installed = project.buildable ? "./dist/*.whl" : "."
        var install: [String]
        if let extra = project.testExtra {
            text.add("    # The test tools come from the project's `\(extra)` extra\(project.buildable ? "; the code tested is the wheel built once" : "").")
            install = [installed + "[\(extra)]"]
        } else if let requirements = project.testRequirements {
            install = [installed, "-r \(requirements)", "pytest"]
        } else {
            install = [installed, "pytest"]
        }
        if project.coverageConfigured { install.append("pytest-cov") }
        text.add("    install: [\(install.map(quoted).joined(separator: ", "))]")
        text.add("    steps:")
        var pytest = "python -m pytest --junitxml=report.xml"
        if project.coverageConfigured { pytest += " --cov --cov-report=xml" }
        if !project.testPaths.isEmpty { pytest += " " + project.testPaths.joined(separator: " ") }
        text.add("      - { name: pytest, run: \(quoted(pytest)) }")
        text.add("    junit: [report.xml]")
        if project.coverageConfigured {
            text.add("    artifacts: [coverage.xml]")
            text.add("    artifacts_when: always")
        }
        if project.toxConfigured {
            text.add("")
            text.add("  # One job per environment that `tox -l` lists, side by side.")
            text.add("  tox:")
            text.add("    stage: test")
            text.add("    from: tox")
        }
        if project.buildable {
            text.add("")
            text.add("  # Publishing to PyPI from tag builds. To use it: add `tags: [\"v*\"]` at the top (tags")
            text.add("  # build only when a pattern matches), add `publish` to `stages`, give the build")
            text.add("  # machine a PyPI token as TWINE_PASSWORD, and uncomment:")
            text.add("  # publish:")
            text.add("  #   stage: publish")
            text.add("  #   needs: [build, test]")
            text.add("  #   when: { tag: [\"v*\"] }")
            text.add("  #   python: \(quoted(newest))")
            text.add("  #   install: [twine]")
            text.add("  #   env: { TWINE_USERNAME: __token__ }")
            text.add("  #   steps:")
            text.add("  #     - { name: upload, run: python -m twine upload dist/* }")
        }
        return text.joined
    }

    static func summary(of project: PythonProject) -> String {
        var parts = [project.layout == .src ? "src layout" : "flat layout"]
        parts.append(project.testPaths.isEmpty ? "tests found by pytest" : "tests in " + project.testPaths.map { $0 + "/" }.joined(separator: ", "))
        if project.versionFromGit { parts.append("version from git tags") }
        if project.toxConfigured { parts.append("a tox configuration") }
        if project.coverageConfigured { parts.append("coverage configured") }
        return parts.joined(separator: ", ")
    }

    /// A project's name inside a YAML comment: one line, whatever it holds.
    static func commentSafe(_ value: String) -> String {
        String(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    }

    /// YAML double-quoted: every value here comes from the project's own files.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20: result += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    private struct Lines {
        private var lines: [String] = []
        mutating func add(_ line: String) { lines.append(line) }
        var joined: String { lines.joined(separator: "\n") + "\n" }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
