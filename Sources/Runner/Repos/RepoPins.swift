import Foundation
public import GitKit
public import Pipeline

/// One `repos:` entry of a job, pinned: the commit every job of the build that names it gets,
/// whatever its ref does meanwhile.
public struct PinnedRepo: Sendable, Hashable {
    public let name: String
    /// Where it goes, relative to the job's workspace (normalized: no `.`, no repeated `/`).
    public let path: String
    /// As the pipeline wrote it (credentials never: such a URL is refused), and as resolved
    /// against the built repository's location.
    public let url: String
    public let resolvedURL: String
    public let commit: ObjectID
    /// The branch its HEAD goes on, when the ref is one (tools that read the branch find it).
    public let branch: String?
    /// The bare mirror whose objects its checkout borrows.
    public let mirror: String
}

/// What a job gets of its `repos:` entries: each pinned, or the first problem, which fails
/// the job (and it alone) before anything of it runs.
public struct JobRepos: Sendable {
    public var entries: [PinnedRepo] = []
    /// `repos entry 'lib' (../lib.git): …`
    public var problem: String?
    /// What submodules of the entries may be fetched from, as for the built repository's own.
    var submodulePolicy: SubmoduleURLPolicy?
    var stateFolder: StateFolder?

    public init() {}

    /// Pinned commits by entry name, as the note records them.
    public var commits: [String: String] {
        // Nothing generic on the way of the jobs without entries: a build's first step waits for it.
        guard !entries.isEmpty else { return [:] }
        return pinnedCommits.mapValues(\.hex)
    }

    /// Pinned commits by entry name, for the job's cache key.
    var pinnedCommits: [String: ObjectID] {
        Dictionary(entries.map { ($0.name, $0.commit) }, uniquingKeysWith: { first, _ in first })
    }

    /// `GITCI_REPO_<NAME>_COMMIT` for every entry.
    var environment: [String: String] {
        guard !entries.isEmpty else { return [:] }
        return Dictionary(entries.map { (Self.variableName($0.name), $0.commit.hex) }, uniquingKeysWith: { first, _ in first })
    }

    /// `GITCI_REPO_<NAME>_COMMIT`: the name upper-cased, any character outside `[A-Z0-9_]` a `_`.
    public static func variableName(_ name: String) -> String {
        let bytes = name.uppercased().map { character -> UInt8 in
            switch character.asciiValue ?? 0 {
            case let byte where (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F: return byte
            default: return UInt8(ascii: "_")
            }
        }
        return "GITCI_REPO_" + String(decoding: bytes, as: UTF8.self) + "_COMMIT"
    }
}

/// Resolves the `repos:` entries of every job of a build to commits, once, when the build is
/// planned: each distinct (URL, ref) once, each URL fetched into its mirror at most once.
struct RepoPinning {
    /// The built repository's git directory, and the commit whose tree the entries' paths must
    /// not leave through (nil for a working tree without commits).
    let gitDirectory: String
    let commit: ObjectID?
    /// Commits given by entry name (`--same-repos`, a trigger): used instead of resolving refs.
    let pinned: [String: ObjectID]

    /// By job name; jobs without entries are absent. Nothing is opened or fetched when no job
    /// has entries: the usual pipeline pays nothing for this.
    func pin(_ jobs: [PlannedJob]) -> [String: JobRepos] {
        let concerned = jobs.filter { !$0.config.repos.isEmpty }
        guard !concerned.isEmpty else { return [:] }
        let repository: Repository
        do {
            repository = try Repository.open(gitDirectory)
        } catch {
            return Dictionary(uniqueKeysWithValues: concerned.map { job in
                var repos = JobRepos()
                repos.problem = "repos: cannot open \(gitDirectory): \(error.message)"
                return (job.name, repos)
            })
        }
        let base = SubmoduleCheckout.base(of: repository)
        let policy = SubmoduleURLPolicy(repository: repository, base: base)
        var resolver = Resolver(stateFolder: StateFolder(gitCommonDirectory: repository.commonDirectory), policy: policy,
                                authentication: repository.fetchAuthentication())
        var pins: [String: JobRepos] = [:]
        for job in concerned {
            var repos = JobRepos()
            repos.submodulePolicy = policy
            repos.stateFolder = resolver.stateFolder
            do throws(EntryProblem) {
                let checked = try Self.check(job.config.repos, in: repository, at: commit)
                for (spec, path) in checked {
                    let url = Submodule.resolve(spec.url, against: base)
                    do throws(GitError) {
                        repos.entries.append(try resolver.pin(spec, url: url, path: path, commit: pinned[spec.name]))
                    } catch {
                        throw EntryProblem(spec: spec, message: error.message)
                    }
                }
            } catch {
                repos.problem = error.description
                repos.entries = []
            }
            pins[job.name] = repos
        }
        return pins
    }

    /// A problem with one entry, naming it.
    struct EntryProblem: Error, CustomStringConvertible {
        let spec: RepositorySpec
        let message: String
        var description: String {
            "repos entry '\(spec.name)' (\(FetchAuthentication.redacted(spec.url))): \(message)"
        }
    }

    /// The checks that need no fetch, each entry's path normalized: no credentials in a URL,
    /// one entry per name and per path, paths inside the workspace and not through a symbolic
    /// link (or a file) of the built commit's tree, nor inside another entry's.
    /// Without a repository, only what the pipeline alone says is checked (`gitci validate`).
    static func check(_ specs: [RepositorySpec], in repository: Repository?, at commit: ObjectID?) throws(EntryProblem) -> [(RepositorySpec, String)] {
        var checked: [(RepositorySpec, String)] = []
        for spec in specs {
            if FetchAuthentication.holdsCredentials(spec.url) {
                throw EntryProblem(spec: spec, message: "a URL must not hold a password (anyone who reads the pipeline reads it); "
                    + "gitci takes https credentials from git's credential helpers or \(FetchAuthentication.credentialsKey)")
            }
            if spec.url.hasPrefix("-") {
                throw EntryProblem(spec: spec, message: "a URL may not start with '-'")
            }
            let path = try normalizedPath(spec)
            if let other = checked.first(where: { $0.0.name == spec.name }) {
                throw EntryProblem(spec: spec, message: "another entry has the name '\(spec.name)' too (\(FetchAuthentication.redacted(other.0.url))); give one a 'name:'")
            }
            if let other = checked.first(where: { $0.1 == path }) {
                throw EntryProblem(spec: spec, message: "entry '\(other.0.name)' is checked out at '\(path)' too")
            }
            if let other = checked.first(where: { path.hasPrefix($0.1 + "/") || $0.1.hasPrefix(path + "/") }) {
                throw EntryProblem(spec: spec, message: "its path '\(path)' and entry '\(other.0.name)''s '\(other.1)' are inside one another")
            }
            if let commit, let repository {
                let kinds: [(path: String, kind: TreeEntryKind)]
                do {
                    kinds = try repository.entryKinds(along: path, in: commit)
                } catch {
                    throw EntryProblem(spec: spec, message: error.message)
                }
                if let blocking = kinds.first(where: { $0.kind != .folder || $0.path == path }) {
                    let what: String
                    switch blocking.kind {
                    case .symbolicLink: what = "a symbolic link, which could lead out of the workspace"
                    case .folder: what = "a folder of the commit"
                    case .file: what = "a file"
                    case .submodule: what = "a submodule"
                    }
                    throw EntryProblem(spec: spec, message: "its path '\(path)' goes through '\(blocking.path)', which is \(what) in \(commit.short)")
                }
            }
            checked.append((spec, path))
        }
        return checked
    }

    /// The entry's path without `.` components or extra slashes; refused when absolute, empty,
    /// or holding `..` or `.git`.
    static func normalizedPath(_ spec: RepositorySpec) throws(EntryProblem) -> String {
        guard !spec.path.hasPrefix("/") else {
            throw EntryProblem(spec: spec, message: "its path '\(spec.path)' is absolute; it must be inside the workspace")
        }
        let components = spec.path.split(separator: "/").filter { $0 != "." }
        if components.contains("..") {
            throw EntryProblem(spec: spec, message: "its path '\(spec.path)' leaves the workspace ('..')")
        }
        if components.contains(where: { $0.lowercased() == ".git" }) {
            throw EntryProblem(spec: spec, message: "its path '\(spec.path)' goes into a .git folder")
        }
        guard !components.isEmpty else {
            throw EntryProblem(spec: spec, message: "its path '\(spec.path)' is the workspace itself; name a folder inside it")
        }
        return components.joined(separator: "/")
    }

    /// Resolutions shared by the jobs of one build.
    struct Resolver {
        let stateFolder: StateFolder
        let policy: SubmoduleURLPolicy
        let authentication: FetchAuthentication
        /// Each URL's mirror as fetched by this build, or why it could not be.
        var fetched: [String: Result<String, GitError>] = [:]
        var resolved: [Key: Result<(commit: ObjectID, branch: String?), GitError>] = [:]

        struct Key: Hashable {
            let url: String
            let ref: String
            let pinned: ObjectID?
        }

        mutating func pin(_ spec: RepositorySpec, url: String, path: String, commit pinned: ObjectID?) throws(GitError) -> PinnedRepo {
            let key = Key(url: url, ref: spec.ref, pinned: pinned)
            let mirror = stateFolder.mirror(forURL: url)
            let found: Result<(commit: ObjectID, branch: String?), GitError>
            if let known = resolved[key] {
                found = known
            } else {
                found = Result { () throws(GitError) in try resolve(spec, url: url, mirror: mirror, pinned: pinned) }
                resolved[key] = found
            }
            let (commit, branch) = try found.get()
            return PinnedRepo(name: spec.name, path: path, url: spec.url, resolvedURL: url, commit: commit, branch: branch, mirror: mirror)
        }

        private mutating func resolve(_ spec: RepositorySpec, url: String, mirror: String, pinned: ObjectID?) throws(GitError) -> (commit: ObjectID, branch: String?) {
            if let pinned {
                // A mirror that has the commit needs no fetch; one that lacks it is fetched (once).
                if let repository = try? Repository.open(mirror), repository.hasObject(pinned) { return (pinned, nil) }
                let repository = try Repository.open(try fetch(url, into: mirror))
                guard repository.hasObject(pinned) else {
                    throw GitError(code: -1, message: "commit \(pinned.short) (pinned) is not on any branch or tag of \(FetchAuthentication.redacted(url))")
                }
                return (pinned, nil)
            }
            let repository = try Repository.open(try fetch(url, into: mirror))
            do {
                return try repository.resolveMirrorRef(spec.ref)
            } catch {
                throw GitError(code: error.code, message: "\(error.message) in \(FetchAuthentication.redacted(url))")
            }
        }

        /// The mirror of `url`, fetched by this build (at most once).
        private mutating func fetch(_ url: String, into mirror: String) throws(GitError) -> String {
            if let done = fetched[url] { return try done.get() }
            let result = Result { () throws(GitError) -> String in
                let source = try policy.source(for: url)
                if mkdir(stateFolder.mirrors, 0o700) != 0, errno != EEXIST {
                    throw GitError(code: -1, message: "cannot make \(stateFolder.mirrors): \(String(cString: strerror(errno)))")
                }
                _ = try Repository.updatedMirror(of: source, at: mirror, authentication: authentication)
                return mirror
            }
            fetched[url] = result
            return try result.get()
        }
    }
}

/// What `gitci validate` can tell of `repos:` entries without fetching anything.
public enum ReposValidation {
    /// One warning per job (matrix combinations once) whose entries would fail it.
    public static func warnings(_ jobs: [PlannedJob]) -> [String] {
        var seen = Set<String>()
        var warnings: [String] = []
        for job in jobs where !job.config.repos.isEmpty && seen.insert(job.baseName).inserted {
            do {
                _ = try RepoPinning.check(job.config.repos, in: nil, at: nil)
            } catch {
                warnings.append("job '\(job.baseName)' will fail: \(error.description)")
            }
        }
        return warnings
    }
}

extension WorkspaceSource {
    /// The git directory of the repository being built, when it has one.
    var repositoryGitDirectory: String? {
        switch self {
        case .commit(let gitDirectory, _): return gitDirectory
        case .workingTree(_, _, let gitDirectory, _): return gitDirectory.isEmpty ? nil : gitDirectory
        }
    }
}
