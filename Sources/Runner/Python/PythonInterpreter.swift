import Foundation
import Synchronization

/// A `python:` value: `3.12`, `3` or `pypy3.10`, as PATH, pyenv and uv name interpreters.
struct PythonVersionRequest: Sendable, Hashable, CustomStringConvertible {
    let isPyPy: Bool
    let major: Int
    let minor: Int?

    init?(_ text: String) {
        var rest = Substring(text)
        isPyPy = rest.hasPrefix("pypy")
        if isPyPy { rest = rest.dropFirst(4) }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let major = Int(parts[0]) else { return nil }
        self.major = major
        self.minor = parts.count == 2 ? Int(parts[1]) : nil
        if parts.count == 2 && minor == nil { return nil }
    }

    var number: String { minor.map { "\(major).\($0)" } ?? "\(major)" }
    var description: String { (isPyPy ? "pypy" : "") + number }
    /// `python3.12`, `python3`, `pypy3.10`.
    var executableName: String { (isPyPy ? "pypy" : "python") + number }

    func admits(_ interpreter: PythonInterpreter) -> Bool {
        interpreter.isPyPy == isPyPy && interpreter.major == major && (minor == nil || interpreter.minor == minor)
    }
}

/// An interpreter found on this machine for a `python:` value, checked by asking it.
struct PythonInterpreter: Sendable, Hashable {
    /// Its real path (symbolic links and pyenv's shims resolved): what venvs are made with.
    let path: String
    /// `3.12.1`.
    let version: String
    let major: Int
    let minor: Int
    let isPyPy: Bool

    /// Why no interpreter was found: every place looked at, for the job's log and reason.
    struct NotFound: Error, CustomStringConvertible {
        let request: PythonVersionRequest
        let looked: [String]

        var description: String {
            "no Python \(request) interpreter found; looked \(looked.joined(separator: "; ")). "
                + "Install one (pyenv install \(request.number), uv python install \(request), or the system's package) "
                + "or change 'python:'"
        }
    }

    /// What each lookup found, per gitci process: a run's matrix asks the same several times.
    private static let found = Mutex<[String: PythonInterpreter]>([:])

    /// Looks for `request`: `pythonX.Y` in the folders of PATH, then pyenv's versions
    /// (`$PYENV_ROOT`, default `~/.pyenv`), then `uv python find`. Each candidate is run, with
    /// arguments only, and taken only when it says it is that version.
    static func find(_ request: PythonVersionRequest, environment: [String: String]) async -> Result<PythonInterpreter, NotFound> {
        let memo = [request.description, environment["PATH"] ?? "", environment["PYENV_ROOT"] ?? "", environment["HOME"] ?? ""]
            .joined(separator: "\u{0}")
        if let known = found.withLock({ $0[memo] }) { return .success(known) }
        var looked: [String] = []
        var rejected: [String] = []
        func accept(_ candidate: String) async -> PythonInterpreter? {
            guard let interpreter = await probe(candidate, environment: environment) else {
                rejected.append("\(candidate) (does not run)")
                return nil
            }
            if request.admits(interpreter) { return interpreter }
            rejected.append("\(candidate) (is \(interpreter.isPyPy ? "PyPy " : "")\(interpreter.version))")
            return nil
        }
        var result: PythonInterpreter?
        let root = pyenvRoot(environment: environment)
        // PATH, each folder in order. pyenv's shims are left to the next look, at its versions
        // folder: a shim is a shell script that starts pyenv (slow), and runs only the versions
        // `pyenv global` selects.
        let path = environment["PATH"] ?? ""
        let shims = (root as NSString).appendingPathComponent("shims")
        var onPath = 0
        for folder in path.split(separator: ":") where folder.hasPrefix("/") && folder != shims {
            let candidate = "\(folder)/\(request.executableName)"
            guard access(candidate, X_OK) == 0 else { continue }
            onPath += 1
            if let interpreter = await accept(candidate) {
                result = interpreter
                break
            }
        }
        looked.append("for \(request.executableName) on PATH (\(onPath == 0 ? "none there" : "\(onPath) found"))")
        if result == nil {
            let versions = (root as NSString).appendingPathComponent("versions")
            let names = pyenvVersions(in: versions, for: request)
            looked.append("in pyenv's \(versions) (\(names.isEmpty ? "no such version" : names.joined(separator: ", ")))")
            for name in names {
                let bin = "\(versions)/\(name)/bin/"
                let candidate = [request.executableName, request.isPyPy ? "pypy3" : "python3", "python"]
                    .map { bin + $0 }.first { access($0, X_OK) == 0 }
                if let candidate, let interpreter = await accept(candidate) {
                    result = interpreter
                    break
                }
            }
        }
        if result == nil {
            if let uv = ProbeProcess.which("uv", path: path) {
                let outcome = await ProbeProcess.run([uv, "python", "find", request.description], environment: environment)
                let line = outcome?.output.split(separator: "\n").last.map { String($0).trimmingWhitespace() } ?? ""
                if outcome?.succeeded == true, line.hasPrefix("/") {
                    looked.append("with uv python find (\(line))")
                    result = await accept(line)
                } else {
                    looked.append("with uv python find (none)")
                }
            } else {
                looked.append("with uv python find (uv is not on PATH)")
            }
        }
        guard let result else {
            return .failure(NotFound(request: request, looked: looked + (rejected.isEmpty ? [] : ["rejected: " + rejected.joined(separator: ", ")])))
        }
        found.withLock { $0[memo] = result }
        return .success(result)
    }

    /// `$PYENV_ROOT`, default `~/.pyenv`.
    static func pyenvRoot(environment: [String: String]) -> String {
        environment["PYENV_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) as NSString).appendingPathComponent(".pyenv")
    }

    /// pyenv's folders for `request` (`3.12` matches `3.12` and `3.12.1`, not `3.12.1t` or
    /// `3.120`), newest first.
    static func pyenvVersions(in folder: String, for request: PythonVersionRequest) -> [String] {
        let prefix = (request.isPyPy ? "pypy" : "") + request.number
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { name in
            guard name.hasPrefix(prefix) else { return false }
            let rest = name.dropFirst(prefix.count)
            return rest.isEmpty || rest.first == "." && rest.dropFirst().allSatisfy { $0.isNumber || $0 == "." }
        }
        func numbers(_ name: String) -> [Int] {
            name.drop { !$0.isNumber }.split(separator: ".").map { Int($0) ?? 0 }
        }
        return names.sorted { numbers($0).lexicographicallyPrecedes(numbers($1)) }.reversed()
    }

    /// Asks `candidate` what it is: implementation, version and its own real path.
    static func probe(_ candidate: String, environment: [String: String]) async -> PythonInterpreter? {
        let script = "import sys, os; print(sys.implementation.name, *sys.version_info[:3], os.path.realpath(sys.executable))"
        // -I: neither the user's site packages nor PYTHON* variables change the answer.
        guard let outcome = await ProbeProcess.run([candidate, "-I", "-c", script], environment: environment, timeout: 20),
              outcome.succeeded,
              let line = outcome.output.split(separator: "\n").last else { return nil }
        let words = line.split(separator: " ", maxSplits: 4)
        guard words.count == 5, let major = Int(words[1]), let minor = Int(words[2]), let micro = Int(words[3]),
              words[4].hasPrefix("/") else { return nil }
        return PythonInterpreter(path: String(words[4]), version: "\(major).\(minor).\(micro)", major: major, minor: minor,
                                 isPyPy: words[0] == "pypy")
    }
}
