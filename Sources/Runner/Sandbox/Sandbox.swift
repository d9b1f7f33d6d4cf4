import Foundation
public import GitKit

/// What a sandboxed job's steps see (bubblewrap: user, mount and PID namespaces; the network is
/// the machine's): the whole file system read-only, an empty private `/tmp`, the repository's
/// git directory, its state folder, `$GITCI_HOME` and every registered repository hidden under
/// empty folders; then, read-only again, the object stores the workspace's `.git` borrows from
/// (`objects/` and the state folder's `mirrors/`); read-write only the job's workspace, a HOME
/// kept per repository (`<state folder>/home`, so pip, uv and SwiftPM caches last between
/// builds) and the folders the repository's configuration names (`gitci.sandboxWritable`).
///
/// The job's log needs no place in it: steps write to a descriptor gitci opened.
public struct Sandbox: Sendable {
    /// The bubblewrap program: `$GITCI_BWRAP` when set (tests point it at one that fails, to
    /// play a machine without user namespaces), else `bwrap` on PATH.
    public var bwrap: String
    /// gitci-sandbox-init, the job's first process inside the sandbox: beside the running
    /// executable, as gitci-hook is beside gitci.
    public var initProgram: String
    /// Folders replaced by an empty one.
    public var hidden: [String]
    /// Folders shown read-only, though inside a hidden one.
    public var readOnly: [String]
    /// Folders shown read-write (besides the workspace, added per job).
    public var writable: [String]
    /// Folders shown read-write though inside a hidden one, per job: a `python:` job's venv
    /// while gitci installs into it, tox's work folder (PythonEnvironment).
    public var writableInside: [String] = []
    /// The steps' HOME (XDG_CACHE_HOME is its `.cache`).
    public var home: String

    /// Extra settings from whoever starts the build.
    public struct Settings: Sendable {
        /// Folders steps may write to besides their workspace and HOME.
        public var writable: [String]

        public init(writable: [String] = []) {
            self.writable = writable
        }
    }

    /// Who decides whether jobs run sandboxed.
    public enum Policy: Sendable {
        /// Straight on this machine (`gitci run`).
        case off
        /// Sandboxed (`gitci run --sandbox`).
        case on(Settings)
        /// What a server does: sandboxed unless the repository's git config says
        /// `gitci.sandbox=off`; `gitci.sandboxWritable` (any number of them) names more folders
        /// steps may write to.
        case configured
    }

    public static let switchKey = "gitci.sandbox"
    public static let writableKey = "gitci.sandboxWritable"

    /// The settings `policy` comes to for `repository`; nil when jobs run unsandboxed.
    public static func settings(_ policy: Policy, repository: Repository) -> Settings? {
        switch policy {
        case .off: return nil
        case .on(let settings): return settings
        case .configured:
            // Only said explicitly: any of git's words for false.
            if let value = repository.configValue(switchKey)?.trimmingCharacters(in: .whitespaces).lowercased(),
               ["off", "false", "no", "0"].contains(value) { return nil }
            return Settings(writable: repository.configValues(writableKey).filter { !$0.isEmpty }.map { ($0 as NSString).expandingTildeInPath })
        }
    }

    public init(bwrap: String, initProgram: String, hidden: [String], readOnly: [String], writable: [String], home: String) {
        self.bwrap = bwrap
        self.initProgram = initProgram
        self.hidden = hidden
        self.readOnly = readOnly
        self.writable = writable
        self.home = home
    }

    /// The sandbox of the builds of the repository whose (common) git directory is
    /// `gitDirectory`. Creates its HOME (private to the user) when missing.
    public init(gitDirectory: String, settings: Settings = Settings(),
                registry: RepositoryRegistry = RepositoryRegistry()) {
        let gitDirectory = Self.resolved(gitDirectory)
        let stateFolder = StateFolder(gitCommonDirectory: gitDirectory)
        let home = stateFolder.home
        try? FileManager.default.createDirectory(atPath: (home as NSString).appendingPathComponent(".cache"),
                                                 withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Made now, to be shown: the mirrors of a build's submodules and `repos:` entries are
        // made after its sandbox is set, and bwrap mounts only what is there.
        mkdir(stateFolder.mirrors, 0o700)
        let others = registry.repositories().map(Self.resolved)
        self.init(
            bwrap: Self.bwrapProgram(),
            initProgram: Self.initProgramPath(),
            hidden: Self.existingFolders([gitDirectory, stateFolder.path, Self.resolved(registry.home)] + others),
            readOnly: Self.existingFolders([(gitDirectory as NSString).appendingPathComponent("objects"), stateFolder.mirrors]),
            writable: [home] + Self.existingFolders(settings.writable.map(Self.resolved)),
            home: home
        )
    }

    /// bwrap's command line for a job whose workspace is `workspace`: mounts in the order that
    /// makes them right (a folder shown inside a hidden one comes after it).
    func arguments(workspace: String) -> [String] {
        // The init is the namespace's process 1 (no reaper of bwrap's in between): its exit
        // is complete, and bwrap's with it, only once the kernel has killed and reaped every
        // process left in the namespace. With bwrap's reaper, bwrap could exit a moment before.
        // No --die-with-parent: it ties bwrap's life to the *thread* that started it, and the
        // threads Swift's tasks run on come and go (an idle one ends after a few seconds,
        // killing a step that ran longer). gitci's death closes the request pipe instead,
        // at which the init exits and the namespace with it.
        var arguments = [bwrap, "--unshare-user", "--unshare-pid", "--as-pid-1",
                         "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        // Folders the configuration makes writable come before the hidden ones: a hidden folder
        // inside one (the repository inside a scratch folder) must stay hidden, and one inside a
        // hidden folder stays hidden with it.
        for folder in writable where folder != home { arguments += ["--bind", folder, folder] }
        // Shortest first, and nothing inside a folder hidden already: an empty folder has no
        // inside to hide.
        var covered: [String] = []
        for folder in Set(hidden).sorted(by: { $0.count < $1.count }) where !covered.contains(where: { Self.isInside(folder, $0) }) {
            covered.append(folder)
            arguments += ["--tmpfs", folder]
        }
        for folder in readOnly { arguments += ["--ro-bind", folder, folder] }
        for folder in writableInside { arguments += ["--bind", folder, folder] }
        // The init itself, where a folder made empty would hide it (a build folder under /tmp).
        if (covered + ["/tmp"]).contains(where: { Self.isInside(initProgram, $0) }) {
            arguments += ["--ro-bind", initProgram, initProgram]
        }
        let workspace = Self.resolved(workspace)
        for folder in [home, workspace] { arguments += ["--bind", folder, folder] }
        // Only now: bwrap makes the folders it mounts on inside them. What is shown inside
        // keeps its own mode.
        for folder in covered { arguments += ["--remount-ro", folder] }
        arguments += ["--chdir", workspace, "--", initProgram]
        return arguments
    }

    /// The job environment with what the sandbox changes: HOME, the cache folder, TMPDIR.
    func environment(_ environment: [String]) -> [String] {
        let replaced = replacedVariables
        return environment.filter { entry in
            guard let equals = entry.firstIndex(of: "=") else { return true }
            return replaced[String(entry[..<equals])] == nil
        } + replaced.map { "\($0.key)=\($0.value)" }
    }

    /// The variables the sandbox sets for every step, over what the job says: `env:` values
    /// that name them (`$HOME/.local/bin`) are expanded against these.
    var replacedVariables: [String: String] {
        ["HOME": home, "XDG_CACHE_HOME": (home as NSString).appendingPathComponent(".cache"), "TMPDIR": "/tmp"]
    }

    // MARK: - Paths

    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// Absolute, without symbolic links: bwrap mounts on the path as given, inside a tree
    /// where a link may lead elsewhere.
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return (path as NSString).standardizingPath }
        defer { free(real) }
        return String(cString: real)
    }

    /// The folders of `paths` that exist: bwrap cannot mount on what is not there, in a file
    /// system that is read-only.
    private static func existingFolders(_ paths: [String]) -> [String] {
        paths.filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
        }
    }

    public static func bwrapProgram() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment[bwrapVariable], !configured.isEmpty { return configured }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/bwrap"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return "/usr/bin/bwrap"
    }

    /// Names the bwrap program gitci runs, instead of the one on PATH.
    public static let bwrapVariable = "GITCI_BWRAP"
    public static let initProgramName = "gitci-sandbox-init"

    static func initProgramPath() -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return resolved(((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent(initProgramName))
    }
}
