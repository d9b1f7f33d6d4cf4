import Foundation

/// tox for `from: tox` jobs on a machine that has none on PATH: installed once by gitci into a
/// venv of its own, `$GITCI_HOME/tools/tox/venv`, made with the machine's python3, outside any
/// sandbox (it is gitci's tool, not the build's), under a lock. Its `bin` holds only `tox`, so
/// that putting it on a job's PATH shadows nothing.
enum ToxTool {
    struct Installed {
        let folder: String
        let bin: String
    }

    static func ensure(log: LogFile, deadline: Date) async throws(PythonEnvironment.Failure) -> Installed {
        let tools = GitciHome.path() + "/tools"
        let folder = tools + "/tox"
        let installed = Installed(folder: folder, bin: folder + "/bin")
        let marker = folder + ".complete"
        if access(marker, F_OK) == 0 {
            log.write("gitci: tox is not on PATH; using gitci's own (\(installed.bin)/tox)\n")
            return installed
        }
        let lock: CacheSlot
        do throws(CacheSlot.Failure) {
            lock = try await CacheSlot.take(in: tools, slots: ["tox"])
        } catch {
            throw PythonEnvironment.Failure(description: "cannot install tox: \(error.description)")
        }
        defer { lock.release() }
        if access(marker, F_OK) == 0 { return installed }  // made by another job meanwhile
        log.write("\n==> tox is not on PATH: gitci installs it into \(folder)\n")
        try? FileManager.default.removeItem(atPath: folder)
        guard WorkspaceRoot.makePrivateFolders(installed.bin) else {
            throw PythonEnvironment.Failure(description: "cannot make \(installed.bin): \(String(cString: strerror(errno)))")
        }
        let environment = JobContext.inheritedEnvironment()
        let python = ProbeProcess.which("python3", path: environment["PATH"]) ?? "/usr/bin/python3"
        let runner = PhaseRunner(sandbox: nil, workspace: folder, environment: environment, log: log, deadline: deadline)
        defer { runner.end() }
        let advice = "install tox yourself so that it is on PATH (pipx install tox, apt-get install tox, or python3 -m pip install --user tox)"
        if let problem = await runner.run([python, "-m", "venv", folder + "/venv"]) {
            throw PythonEnvironment.Failure(description: "cannot make a venv for tox with \(python) (\(problem)); \(advice)")
        }
        if let problem = await runner.run([folder + "/venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "tox"]) {
            throw PythonEnvironment.Failure(description: "cannot install tox (\(problem); is the package index reachable?); \(advice)")
        }
        guard symlink("../venv/bin/tox", installed.bin + "/tox") == 0,
              FileManager.default.createFile(atPath: marker, contents: Data("tox\n".utf8)) else {
            throw PythonEnvironment.Failure(description: "cannot finish \(folder): \(String(cString: strerror(errno)))")
        }
        return installed
    }
}
