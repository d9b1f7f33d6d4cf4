import Foundation
import GitKit
import Pipeline
import Synchronization

/// What a `python:` job or a `from: tox` job gets before its first step: a venv made with the
/// interpreter asked for and what `install:` lists, kept between builds; tox (installed by
/// gitci when the machine has none) with its work folder kept between builds. docs/python.md
/// says why it is done this way.
///
/// A venv is kept in the repository's state folder, `venvs/<scope>/<key>/slot-<n>/`:
/// - `<scope>` is the plan branch (or tag, or the working tree of `gitci run`): a build is
///   untrusted code, and only ever uses venvs that builds of its own branch made;
/// - `<key>` is a hash of the interpreter (real path and exact version), the `install:` list and
///   the contents of the dependency files in the workspace: a change to any makes a new venv;
/// - `slot-<n>` is one of a few copies (CacheSlot), each held by one job at a time.
///
/// A venv is used where it was made (its scripts name its path), so it is made in place, under
/// its slot's lock; only a build that ended well is marked complete, and a slot that is not is
/// made again from nothing. The project's own entries (`-e .`, `.`, paths) are installed again
/// into a venv that is reused, against this build's workspace, without their dependencies.
struct PythonEnvironment: Sendable {
    /// Set for the steps, over the job's environment.
    var variables: [String: String] = [:]
    /// Folders put first on PATH (the venv's `bin`), and last (gitci's own tox).
    var pathFirst: [String] = []
    var pathLast: [String] = []
    /// Shown read-only to sandboxed steps: the venv, gitci's tox.
    var readOnly: [String] = []
    /// Shown read-write to sandboxed steps: tox's work folder.
    var writable: [String] = []
    /// Held until the job ends.
    var slots: [CacheSlot] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func release() {
        slots.forEach { $0.release() }
    }

    func apply(to environment: inout [String: String]) {
        environment.merge(variables) { $1 }
        if variables["VIRTUAL_ENV"] != nil { environment["PYTHONHOME"] = nil }
        guard !pathFirst.isEmpty || !pathLast.isEmpty else { return }
        let path = environment["PATH"].flatMap { $0.isEmpty ? nil : [$0] } ?? []
        environment["PATH"] = (pathFirst + path + pathLast).joined(separator: ":")
    }

    /// `sandbox` with what this job's steps must see of the state folder and `$GITCI_HOME`.
    func sandbox(_ sandbox: Sandbox) -> Sandbox {
        var sandbox = sandbox
        sandbox.readOnly += readOnly
        sandbox.writableInside += writable
        return sandbox
    }

    // MARK: - Preparing

    static func prepare(_ job: PlannedJob, context: JobContext, environment: [String: String], log: LogFile,
                        deadline: Date) async -> Result<PythonEnvironment, Failure> {
        guard job.python != nil || job.config.from != nil else { return .success(PythonEnvironment()) }
        guard let state = stateFolder(of: context) else {
            return .failure(Failure(description: "cannot find the repository's state folder, where venvs are kept"))
        }
        var prepared = PythonEnvironment()
        do throws(Failure) {
            if let version = job.python {
                try await prepared.makeVenv(version, job: job, context: context, state: state, environment: environment,
                                            log: log, deadline: deadline)
            }
            if job.config.from != nil {
                try await prepared.prepareTox(job, context: context, state: state, environment: environment, log: log, deadline: deadline)
            }
        } catch {
            log.write("gitci: \(error.description)\n")
            prepared.release()
            return .failure(error)
        }
        return .success(prepared)
    }

    static func stateFolder(of context: JobContext) -> StateFolder? {
        let gitDirectory: String
        switch context.source {
        case .commit(let directory, _): gitDirectory = directory
        case .workingTree(_, _, let directory, _): gitDirectory = directory
        }
        guard !gitDirectory.isEmpty, let repository = try? Repository.open(gitDirectory) else { return nil }
        return StateFolder(gitCommonDirectory: repository.commonDirectory)
    }

    /// Whose builds may share what is kept: the plan branch's (or tag's), or the working tree's
    /// (`gitci run` without `--commit`, whose files are nobody's push).
    static func scope(of context: JobContext) -> String {
        if case .workingTree = context.source { return "worktree" }
        if let branch = context.branch { return "branch-" + FileName.safe(branch, limit: 40) + "-" + StableHash.hex(branch, digits: 12) }
        if let tag = context.tag { return "tag-" + FileName.safe(tag, limit: 40) + "-" + StableHash.hex(tag, digits: 12) }
        return "detached"
    }

    // MARK: - The venv

    private mutating func makeVenv(_ version: String, job: PlannedJob, context: JobContext, state: StateFolder,
                                   environment: [String: String], log: LogFile, deadline: Date) async throws(Failure) {
        guard let request = PythonVersionRequest(version) else {
            throw Failure(description: "'\(version)' is not a Python version (python: takes \"3.12\", \"3\" or \"pypy3.10\")")
        }
        let interpreter: PythonInterpreter
        switch await PythonInterpreter.find(request, environment: environment) {
        case .success(let found): interpreter = found
        case .failure(let notFound): throw Failure(description: notFound.description)
        }
        let workspace = context.workspace
        let install = try InstallEntry.expandingFiles(job.config.install.map(InstallEntry.init), in: workspace)
        let key = Self.venvKey(interpreter: interpreter, install: job.config.install, workspace: workspace)
        let folder = [state.venvs, Self.scope(of: context), key].joined(separator: "/")
        let slot: CacheSlot
        do throws(CacheSlot.Failure) {
            slot = try await CacheSlot.take(in: folder)
        } catch {
            throw Failure(description: "cannot keep the venv: \(error.description)")
        }
        slots.append(slot)
        let venv = slot.path
        let python = venv + "/bin/python"
        var venvEnvironment = environment
        venvEnvironment["VIRTUAL_ENV"] = venv
        venvEnvironment["PATH"] = venv + "/bin" + (environment["PATH"].map { ":" + $0 } ?? "")
        venvEnvironment["PYTHONHOME"] = nil
        let local = install.filter(\.isLocal)
        let pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
        // The install runs as the steps do: sandboxed when they are, seeing the venv read-write.
        var installSandbox = context.sandbox
        installSandbox?.writableInside.append(venv)
        let runner = PhaseRunner(sandbox: installSandbox, workspace: workspace, environment: venvEnvironment, log: log, deadline: deadline)
        defer { runner.end() }
        if slot.isComplete {
            log.write("\n==> python \(request): venv reused (\(venv), \(interpreter.path) \(interpreter.version))\n")
            slot.markUsed()
            // Only the project itself, against this build's workspace: its dependencies are there,
            // and its build backend too (installed with them when the venv was made).
            if !local.isEmpty,
               let problem = await runner.run(pip + ["--no-deps", "--force-reinstall", "--no-build-isolation"] + local.flatMap(\.arguments)) {
                throw Failure(description: "the project's own install into the venv failed (\(problem)); see the job's log")
            }
        } else {
            log.write("\n==> python \(request): venv created (\(venv), \(interpreter.path) \(interpreter.version))\n")
            slot.clearComplete()
            try? FileManager.default.removeItem(atPath: venv)
            guard WorkspaceRoot.makePrivateFolders(venv) else {
                throw Failure(description: "cannot make the venv folder \(venv): \(String(cString: strerror(errno)))")
            }
            if let problem = await runner.run([interpreter.path, "-m", "venv", venv]) {
                throw Failure(description: "cannot make a venv with \(interpreter.path) (\(problem)); on Debian it needs python3-venv")
            }
            var arguments = install.flatMap(\.arguments)
            if !local.isEmpty {
                // Its build backend stays in the venv, so that later builds reinstall the project
                // without build isolation: no throw-away environment, no index asked.
                arguments = Self.buildRequirements(of: local, workspace: workspace) + arguments
            }
            if !arguments.isEmpty, let problem = await runner.run(pip + arguments) {
                throw Failure(description: "pip could not install 'install:' into the venv (\(problem)); see the job's log")
            }
            guard slot.markComplete("\(interpreter.path) \(interpreter.version)\n") else {
                throw Failure(description: "cannot mark the venv \(venv) complete")
            }
            // A new key is when older ones may have become garbage (changed dependencies,
            // deleted branches): rare enough to look then.
            CacheSlot.prune(state.venvs)
        }
        variables["VIRTUAL_ENV"] = venv
        pathFirst.append(venv + "/bin")
        readOnly.append(venv)
    }

    /// The build backends the local entries' `pyproject.toml` name (`[build-system] requires`).
    static func buildRequirements(of local: [InstallEntry], workspace: String) -> [String] {
        var requirements: [String] = []
        // A wheel is installed as it is: no backend builds it.
        for entry in local {
            guard let target = entry.localPath, !target.hasSuffix(".whl") else { continue }
            let folder = target.hasPrefix("/") ? target : (workspace as NSString).appendingPathComponent(target)
            let text = try? String(contentsOfFile: (folder as NSString).appendingPathComponent("pyproject.toml"), encoding: .utf8)
            for requirement in PythonProject.buildRequirements(pyproject: text) where !requirements.contains(requirement) {
                requirements.append(requirement)
            }
        }
        // What setuptools older than 70.1 (the one a venv starts with, on some Pythons) asks for
        // on top, through get_requires_for_build_*: without build isolation nobody else adds it.
        if requirements.contains(where: { $0.hasPrefix("setuptools") }) && !requirements.contains(where: { $0.hasPrefix("wheel") }) {
            requirements.append("wheel")
        }
        return requirements
    }

    /// Files whose content decides what `install:` installs, at the workspace's root (and those
    /// `-r`/`-c` entries name).
    static let dependencyFileNames: Set<String> = [
        "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock", "uv.lock", "poetry.lock", "pdm.lock", "pylock.toml",
    ]

    static func isDependencyFile(_ name: String) -> Bool {
        dependencyFileNames.contains(name)
            || (name.hasPrefix("requirements") || name.hasPrefix("constraints")) && name.hasSuffix(".txt")
    }

    static func venvKey(interpreter: PythonInterpreter, install: [String], workspace: String) -> String {
        var text = "gitci-venv 1\n\(interpreter.path)\n\(interpreter.version)\n\(interpreter.isPyPy ? "pypy" : "cpython")\n"
        for entry in install { text += "install \(entry.utf8.count):\(entry)\n" }
        var files = Set(((try? FileManager.default.contentsOfDirectory(atPath: workspace)) ?? []).filter(isDependencyFile))
        for entry in install.map(InstallEntry.init) { files.formUnion(entry.namedFiles) }
        for name in files.sorted() {
            let path = name.hasPrefix("/") ? name : (workspace as NSString).appendingPathComponent(name)
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            text += "file \(name.utf8.count):\(name) \(digest(data))\n"
        }
        return String(digest(Data(text.utf8)).prefix(32))
    }

    static func digest(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        data.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize()
    }

    // MARK: - tox

    private mutating func prepareTox(_ job: PlannedJob, context: JobContext, state: StateFolder, environment: [String: String],
                                     log: LogFile, deadline: Date) async throws(Failure) {
        if ProbeProcess.which("tox", path: environment["PATH"]) == nil {
            let tool = try await ToxTool.ensure(log: log, deadline: deadline)
            pathLast.append(tool.bin)
            readOnly.append(tool.folder)
        }
        let name = job.toxEnvironment ?? "all"
        let folder = [state.toxWork, Self.scope(of: context), FileName.safe(name, limit: 40) + "-" + StableHash.hex(name, digits: 12)]
            .joined(separator: "/")
        let slot: CacheSlot
        do throws(CacheSlot.Failure) {
            slot = try await CacheSlot.take(in: folder)
        } catch {
            throw Failure(description: "cannot keep tox's work folder: \(error.description)")
        }
        slots.append(slot)
        if !slot.isComplete {
            CacheSlot.prune(state.toxWork)
            guard mkdir(slot.path, 0o700) == 0 || errno == EEXIST, slot.markComplete("tox\n") else {
                throw Failure(description: "cannot make tox's work folder \(slot.path): \(String(cString: strerror(errno)))")
            }
        } else {
            slot.markUsed()
        }
        // tox reads its options from TOX_<OPTION> as well: the step's command stays `tox -e ENV`.
        variables["TOX_WORK_DIR"] = slot.path
        writable.append(slot.path)
        log.write("gitci: tox's work folder, kept between builds: \(slot.path)\n")
    }
}

/// One `install:` entry: pip arguments split at spaces (never given to a shell).
struct InstallEntry: Sendable {
    let arguments: [String]

    init(_ text: String) {
        arguments = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// The folder of a local entry (`.`, `-e .[test]`, `./sub`), extras dropped.
    var localPath: String? {
        let target: String
        if arguments.count == 2, arguments[0] == "-e" || arguments[0] == "--editable" {
            target = arguments[1]
        } else if arguments.count == 1, !arguments[0].hasPrefix("-") {
            target = arguments[0]
        } else {
            return nil
        }
        var path = target.hasPrefix("file:") ? String(target.dropFirst(5)) : target
        guard path.hasPrefix(".") || path.hasPrefix("/") else { return nil }
        if let bracket = path.firstIndex(of: "[") { path = String(path[..<bracket]) }
        return path
    }

    /// The project itself, another folder of the workspace, or a file of it (a wheel another job
    /// built): installed from this build's files.
    var isLocal: Bool { localPath != nil }

    /// Local entries whose last path part is a pattern (`./dist/*.whl[test]`: the wheel a job this
    /// one depends on built, handed on as an artifact) as the workspace's matching files, sorted;
    /// extras kept. The pattern is gitci's (Glob), never a shell's.
    static func expandingFiles(_ entries: [InstallEntry], in workspace: String) throws(PythonEnvironment.Failure) -> [InstallEntry] {
        var expanded: [InstallEntry] = []
        for entry in entries {
            guard let path = entry.localPath, let last = path.split(separator: "/").last,
                  last.contains(where: { $0 == "*" || $0 == "?" }), entry.arguments.count == 1 else {
                expanded.append(entry)
                continue
            }
            let argument = entry.arguments[0]
            let extras = argument.firstIndex(of: "[").map { String(argument[$0...]) } ?? ""
            let parent = String(path.dropLast(last.count))
            guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw PythonEnvironment.Failure(description: "install: '\(argument)': a pattern must name files inside the workspace")
            }
            let folder = (workspace as NSString).appendingPathComponent(parent)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().filter { name in
                var status = stat()
                return Glob.matches(String(last), name) && lstat((folder as NSString).appendingPathComponent(name), &status) == 0
                    && (status.st_mode & S_IFMT) == S_IFREG
            }
            guard !names.isEmpty else {
                throw PythonEnvironment.Failure(description: "install: '\(argument)' matches no file in the workspace (are the artifacts of the job that makes it handed to this one? `needs:` or `dependencies:`)")
            }
            expanded += names.map { InstallEntry(parent + $0 + extras) }
        }
        return expanded
    }

    /// Files `-r`/`-c` name (relative to the workspace).
    var namedFiles: [String] {
        var files: [String] = []
        for (index, argument) in arguments.enumerated() {
            if ["-r", "--requirement", "-c", "--constraint"].contains(argument), index + 1 < arguments.count {
                files.append(arguments[index + 1])
            } else if let equals = argument.firstIndex(of: "="),
                      ["--requirement", "--constraint"].contains(String(argument[..<equals])) {
                files.append(String(argument[argument.index(after: equals)...]))
            }
        }
        return files.filter { !$0.hasPrefix("/") && !$0.split(separator: "/").contains("..") }
    }
}

/// Runs the commands of a preparation phase (making a venv, installing into it) into the job's
/// log, as the steps are run: in the job's sandbox when it has one.
final class PhaseRunner {
    let processes: any JobProcesses
    let workspace: String
    let environment: [String]
    let log: LogFile
    let deadline: Date

    init(sandbox: Sandbox?, workspace: String, environment: [String: String], log: LogFile, deadline: Date) {
        self.processes = sandbox.map { SandboxedJob(sandbox: $0, workspace: workspace) } ?? DirectProcesses()
        self.workspace = workspace
        self.environment = environment.map { "\($0.key)=\($0.value)" }
        self.log = log
        self.deadline = deadline
    }

    /// Runs `arguments`; nil when it exited 0, else how it ended.
    func run(_ arguments: [String], directory: String? = nil) async -> String? {
        log.write("$ " + arguments.joined(separator: " ") + "\n")
        let group: any StepProcess
        do {
            group = try await processes.start(arguments, environment: environment, directory: directory ?? workspace,
                                              outputDescriptor: log.descriptor)
        } catch {
            return error.description
        }
        let timedOut = Mutex(false)
        let timer = DispatchWorkItem {
            timedOut.withLock { $0 = true }
            group.terminate(grace: 3)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, deadline.timeIntervalSinceNow), execute: timer)
        let termination = await withTaskCancellationHandler {
            await group.waitForExit()
        } onCancel: {
            group.terminate(grace: 3)
        }
        timer.cancel()
        if timedOut.withLock({ $0 }) { return "the job's time ran out" }
        if Task.isCancelled { return "cancelled" }
        switch termination {
        case .exited(0): return nil
        case .exited(let code): return "\(arguments.first.map { ($0 as NSString).lastPathComponent } ?? "") exited with status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }

    func end() {
        processes.end()
    }
}
