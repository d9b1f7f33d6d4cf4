import Foundation
import GitKit
import HookIntake
import Runner
import Store

/// `gitci install` / `gitci uninstall`: gitci's hooks in a repository, its state folder, and
/// push options advertised so that `git push -o ci.skip` works.
public struct Installation {
    public static let hookNames = ["post-receive", "pre-receive"]
    /// The line that marks a hook as gitci's own, so that reinstalling replaces it.
    static let marker = "installed by `gitci install`"
    static let chainedSuffix = ".before-gitci"
    /// Each hook as only a `#!` line naming gitci-hook (`<hook>.direct`): the kernel starts it
    /// without a shell, about a millisecond sooner in every push.
    static let directSuffix = ".direct"
    /// Older kernels read at most 128 bytes of a `#!` line.
    static let longestInterpreterLine = 127

    public let gitDirectory: String
    public let stateFolder: String
    let hooksDirectory: String
    /// Where git runs the hooks from instead, when `core.hooksPath` points elsewhere.
    let movedHooksDirectory: String?

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(repositoryPath: String) throws(Failure) {
        let repository: Repository
        do {
            repository = try Repository.open(repositoryPath, search: false)
        } catch {
            throw Failure(description: error.message)
        }
        gitDirectory = repository.commonDirectory
        stateFolder = StateLayout.folder(of: gitDirectory)
        let hooks = (gitDirectory as NSString).appendingPathComponent("hooks")
        hooksDirectory = hooks
        movedHooksDirectory = Self.configuredHooksDirectory(of: repository).flatMap { Self.samePath($0, hooks) ? nil : $0 }
    }

    /// `core.hooksPath` as git resolves it: relative to where hooks run (the repository
    /// itself when bare, else the working tree).
    static func configuredHooksDirectory(of repository: Repository) -> String? {
        guard let configured = repository.configValue("core.hooksPath"), !configured.isEmpty else { return nil }
        let expanded = (configured as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        let base = repository.workingDirectory ?? repository.gitDirectory
        return (base as NSString).appendingPathComponent(expanded)
    }

    static func samePath(_ one: String, _ other: String) -> Bool {
        URL(fileURLWithPath: one).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: other).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Installs the hooks (from `hookSources`, with `binary` written into them), creates the
    /// state folder and sets `receive.advertisePushOptions`. Returns what it did, line by line.
    public func install(hookSources: String, binary: String, force: Bool) throws(Failure) -> [String] {
        // Hooks written where git does not look would be installed in name only: every push
        // would go unbuilt without a word.
        if let moved = movedHooksDirectory {
            throw Failure(description: "core.hooksPath is set to \(moved): git runs this repository's hooks from there, "
                + "not from \(hooksDirectory); unset it, or set it to \(hooksDirectory) in this repository, and install again")
        }
        let manager = FileManager.default
        var done: [String] = []
        let directProgram = Self.directHookProgram(for: binary)
        var templates: [String: String] = [:]
        for name in Self.hookNames {
            let source = directProgram != nil ? name + Self.directSuffix : name
            guard let text = manager.contents(atPath: (hookSources as NSString).appendingPathComponent(source))
                .map({ String(decoding: $0, as: UTF8.self) }) else {
                throw Failure(description: "cannot read the \(source) hook in \(hookSources); set GITCI_SHARE to the folder holding hooks/")
            }
            templates[name] = text
        }
        // Check every hook before changing any, so a refusal leaves the repository as it was.
        let foreign = Self.hookNames.filter { name in
            guard let existing = manager.contents(atPath: hookPath(name)) else { return false }
            return !String(decoding: existing, as: UTF8.self).contains(Self.marker)
        }
        if !foreign.isEmpty && !force {
            throw Failure(description: "\(foreign.map(hookPath).joined(separator: ", ")) already exist and are not gitci's; "
                + "use --force to install anyway (the existing hooks keep running, after gitci's checks)")
        }
        do {
            try manager.createDirectory(atPath: hooksDirectory, withIntermediateDirectories: true)
            try manager.createDirectory(atPath: stateFolder, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: Int(StateFolderModes.folder)])
            for name in Self.hookNames {
                let path = hookPath(name)
                if foreign.contains(name) {
                    let chained = path + Self.chainedSuffix
                    if manager.fileExists(atPath: chained) { try manager.removeItem(atPath: chained) }
                    try manager.moveItem(atPath: path, toPath: chained)
                    done.append("kept the existing \(name) hook as \(chained); it still runs")
                }
                let quoted = binary.replacingOccurrences(of: "'", with: "'\\''")
                let text = templates[name]!.replacingOccurrences(of: "@GITCI@", with: quoted)
                    .replacingOccurrences(of: "@GITCI_HOOK@", with: directProgram ?? "")
                let temporary = path + ".gitci-new"
                try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
                try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
                if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
                try manager.moveItem(atPath: temporary, toPath: path)
                done.append("installed \(path)")
            }
        } catch {
            throw Failure(description: "cannot install into \(gitDirectory): \((error as NSError).localizedDescription)")
        }
        do {
            try Repository.open(gitDirectory).setConfig("receive.advertisePushOptions", "true")
        } catch {
            throw Failure(description: error.message)
        }
        // The lean hook (gitci-hook) only appends to an existing queue: it is made here.
        do {
            // Made with its WAL started, as a worker leaves it: the first push appends to it.
            try BuildQueue.open(stateFolder: stateFolder).startWALOver()
            StateFolder(gitCommonDirectory: gitDirectory).makeSpareRun()
        } catch {
            throw Failure(description: error.message)
        }
        StateFolderModes.secure(stateFolder)
        // Every build's sandbox hides this repository from the builds of the others.
        do {
            try RepositoryRegistry().add(gitDirectory)
        } catch {
            throw Failure(description: error.description)
        }
        done.append("state folder \(stateFolder); push options enabled (git push -o ci.skip)")
        return done
    }

    /// gitci-hook beside `binary`, when a `#!` line can name it: nothing there splits a path,
    /// and the line fits what every kernel reads. Otherwise the hook is a shell script.
    static func directHookProgram(for binary: String) -> String? {
        let program = binary + "-hook"
        let line = "#!\(program) post-receive"  // the longer of the two
        guard FileManager.default.isExecutableFile(atPath: program), line.utf8.count <= longestInterpreterLine,
              !program.contains(where: { $0.isWhitespace || $0.isNewline }) else { return nil }
        return program
    }

    /// Removes gitci's hooks (bringing back any hook they chained) and the push-options
    /// setting. Results and the state folder stay: they are the repository's history.
    public func uninstall() throws(Failure) -> [String] {
        let manager = FileManager.default
        var done: [String] = []
        do {
            for name in Self.hookNames {
                let path = hookPath(name)
                guard let existing = manager.contents(atPath: path),
                      String(decoding: existing, as: UTF8.self).contains(Self.marker) else { continue }
                try manager.removeItem(atPath: path)
                done.append("removed \(path)")
                if manager.fileExists(atPath: path + Self.chainedSuffix) {
                    try manager.moveItem(atPath: path + Self.chainedSuffix, toPath: path)
                    done.append("restored the earlier \(name) hook")
                }
            }
        } catch {
            throw Failure(description: "cannot uninstall from \(gitDirectory): \((error as NSError).localizedDescription)")
        }
        do {
            try Repository.open(gitDirectory).unsetConfig("receive.advertisePushOptions")
        } catch {
            throw Failure(description: error.message)
        }
        do {
            try RepositoryRegistry().remove(gitDirectory)
        } catch {
            throw Failure(description: error.description)
        }
        if done.isEmpty { done.append("gitci's hooks were not installed in \(gitDirectory)") }
        done.append("kept the results (refs/notes/gitci) and the state folder \(stateFolder)")
        return done
    }

    /// Why this repository's builds will fail on this machine, if they will: no sandbox can be
    /// made here, and the repository does not say `gitci.sandbox=off`.
    public func sandboxProblem() -> String? {
        guard let repository = try? Repository.open(gitDirectory),
              Sandbox.settings(.configured, repository: repository) != nil else { return nil }
        return SandboxProbe.problem()
    }

    private func hookPath(_ name: String) -> String {
        (hooksDirectory as NSString).appendingPathComponent(name)
    }
}
