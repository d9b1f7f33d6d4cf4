import ArgumentParser
import Foundation
import GitKit
import Pipeline
import Runner

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        _superCommandName: Gitci.commandName,
        abstract: "Write a starter .gitci.yml, chosen from what the repository holds unless --template is given."
    )

    enum Template: String, ExpressibleByArgument, CaseIterable {
        case python, swift, generic
    }

    @Option(help: "python, swift or generic.")
    var template: Template?

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let root = (try? Repository.open(repository.path, search: true))?.workingDirectory ?? repository.path
        let target = (root as NSString).appendingPathComponent(PipelineSource.fileName)
        guard !FileManager.default.fileExists(atPath: target) else {
            Output.error("gitci: \(target) already exists; gitci init never overwrites it (edit it, or remove it first)")
            throw ExitCode(ExitStatus.usage)
        }
        let chosen = template ?? Self.detect(in: root)
        let contents: Data
        if chosen == .python {
            let project = Self.pythonProject(at: root)
            for warning in project.warnings { Output.error("gitci: warning: \(warning)") }
            contents = Data(PythonStarter.pipeline(for: project, interpreters: InstalledPythons.minorVersions()).utf8)
        } else {
            guard let source = Resources.template(named: chosen.rawValue),
                  let data = FileManager.default.contents(atPath: source) else {
                Output.error("gitci: cannot find the '\(chosen.rawValue)' template; set GITCI_SHARE to the folder holding templates/")
                throw ExitCode(ExitStatus.failed)
            }
            contents = data
        }
        guard FileManager.default.createFile(atPath: target, contents: contents) else {
            Output.error("gitci: cannot write \(target)")
            throw ExitCode(ExitStatus.failed)
        }
        let how = template == nil ? " (detected)" : ""
        print("wrote \(target) from the \(chosen.rawValue) template\(how); check it with `gitci validate`, run it with `gitci run`")
    }

    /// The project as its working tree holds it: a starter is written before anything is committed.
    static func pythonProject(at root: String) -> PythonProject {
        let manager = FileManager.default
        func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
        return PythonProject(read: { relative in
            // A project file larger than this is not configuration.
            guard let attributes = try? manager.attributesOfItem(atPath: path(relative)),
                  (attributes[.size] as? Int ?? 0) < 4 << 20,
                  let data = manager.contents(atPath: path(relative)) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }, isFolder: { relative in
            var isFolder: ObjCBool = false
            return manager.fileExists(atPath: path(relative), isDirectory: &isFolder) && isFolder.boolValue
        })
    }

    /// Python markers win over Swift ones: a Python project with a Swift helper is still a
    /// Python project to its CI.
    static func detect(in root: String) -> Template {
        let manager = FileManager.default
        func has(_ name: String) -> Bool { manager.fileExists(atPath: (root as NSString).appendingPathComponent(name)) }
        if ["pyproject.toml", "setup.py", "setup.cfg", "tox.ini"].contains(where: has) { return .python }
        if has("Package.swift") { return .swift }
        return .generic
    }
}
