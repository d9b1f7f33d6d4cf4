import Foundation

/// The repositories `gitci install` made into build servers on this machine:
/// `$GITCI_HOME/repositories`, one absolute git directory per line. The sandbox hides every one
/// of them from every build; `gitci uninstall` takes a repository off the list.
public struct RepositoryRegistry: Sendable {
    /// `$GITCI_HOME` (GitciHome): gitci's state that belongs to no one repository.
    public let home: String

    public init(home: String = GitciHome.path()) {
        self.home = home
    }

    public var file: String { (home as NSString).appendingPathComponent("repositories") }

    /// The registered git directories; none when the file is missing or unreadable.
    public func repositories() -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("/") }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Adds `gitDirectory` (absolute) unless it is listed already.
    public func add(_ gitDirectory: String) throws(Failure) {
        let gitDirectory = Sandbox.resolved(gitDirectory)
        let listed = repositories()
        guard !listed.contains(gitDirectory) else { return }
        try write(listed + [gitDirectory])
    }

    public func remove(_ gitDirectory: String) throws(Failure) {
        let gitDirectory = Sandbox.resolved(gitDirectory)
        let listed = repositories()
        guard listed.contains(gitDirectory) else { return }
        try write(listed.filter { $0 != gitDirectory })
    }

    /// Written aside and renamed: a build reading the list never sees half of it. Private to
    /// the user, as everything of gitci's state is.
    private func write(_ repositories: [String]) throws(Failure) {
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let aside = file + ".new-\(getpid())"
            let text = repositories.map { $0 + "\n" }.joined()
            guard FileManager.default.createFile(atPath: aside, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            guard rename(aside, file) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(aside)
                throw Failure(description: "cannot write \(file): \(reason)")
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot write \(file): \((error as NSError).localizedDescription)")
        }
    }
}
