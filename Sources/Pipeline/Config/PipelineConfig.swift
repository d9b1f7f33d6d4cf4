/// A value read from the pipeline file together with where it was written, so that checks made
/// after parsing (unknown stage, missing `needs`, cycles) can still point at the right line.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public let value: Value
    public let location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// An environment variable as written in `env:` (order kept: later entries win).
public struct EnvironmentVariable: Sendable, Hashable, Codable {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// `.gitci.yml` as written, checked for shape and types but not yet expanded.
public struct PipelineConfig: Sendable {
    public static let defaultStages = ["build", "test", "deploy"]
    public static let defaultStage = "test"

    public var stages: [Located<String>]
    public var branches: BranchFilter
    public var tags: [String]
    public var interruptible: Bool
    public var env: [EnvironmentVariable]
    public var jobs: [JobConfig]
    /// `schedules:` builds of a branch's tip at the times a cron expression names.
    public var schedules: [Schedule] = []
}

/// One entry of `schedules:`: build `branch`'s tip whenever `cron` fires (UTC).
public struct Schedule: Sendable, Hashable {
    public var cron: CronSchedule
    public var branch: String

    public init(cron: CronSchedule, branch: String) {
        self.cron = cron
        self.branch = branch
    }
}

/// Which branches get plan branches: every branch unless `include` is given, minus `exclude`.
public struct BranchFilter: Sendable, Hashable {
    public var include: [String]?
    public var exclude: [String]

    public init(include: [String]? = nil, exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    public func admits(_ branch: String) -> Bool {
        if let include, !include.contains(where: { Glob.matches($0, branch) }) { return false }
        return !exclude.contains(where: { Glob.matches($0, branch) })
    }
}

public struct StepConfig: Sendable, Hashable {
    public var name: String
    public var run: String
    public var timeout: Seconds?
    /// `shell:` of the step; nil: the job's, else the default (`StepShell`).
    public var shell: StepShell?
    /// `if:` after which outcome of the earlier steps the step runs.
    public var condition: StepCondition = .success
    /// `allow_failure:` the step's failure is logged and the job goes on as if it had passed.
    public var allowFailure = false
}

/// What runs a step's text (`shell:` of a job or a step). Not given: `bash -e -o pipefail -c`
/// where bash exists, else `sh -e -c`, so that a failing command in a pipe fails the step.
public enum StepShell: String, Sendable, Hashable, CaseIterable {
    case sh, bash, python3
}

/// `if:` of a step: a later step runs only while every earlier one passed (`success`), only
/// once one failed (`failure`: collecting reports, say) or either way (`always`).
public enum StepCondition: String, Sendable, Hashable, CaseIterable {
    case success, failure, always

    public func admits(afterFailure failed: Bool) -> Bool {
        switch self {
        case .success: !failed
        case .failure: failed
        case .always: true
        }
    }
}

public struct MatrixConfig: Sendable {
    /// Axis name and its values, in file order.
    public var axes: [(name: Located<String>, values: [String])]
    public var include: [[(key: String, value: String)]]
    public var exclude: [[(key: String, value: String)]]
    public var location: SourceLocation
    /// Something in the matrix was wrong and left out (and reported): an empty expansion is then
    /// a consequence, not a second error.
    var isIncomplete = false
}

/// One repository a job needs besides its own (`repos:`).
public struct RepositorySpec: Sendable, Hashable {
    public var url: String
    /// A branch, tag or commit; `HEAD` when not given.
    public var ref: String
    /// Where it is checked out, relative to the job's workspace.
    public var path: String
    /// What results and `GITCI_REPO_<NAME>_COMMIT` call it: `name:`, else the URL's last part
    /// without `.git`.
    public var name: String
    /// `trigger: true`: a push to `ref` of this repository (installed with gitci on the same
    /// machine) builds the plan branches whose pipelines name it.
    public var trigger: Bool

    public init(url: String, ref: String = "HEAD", path: String, name: String, trigger: Bool = false) {
        self.url = url
        self.ref = ref
        self.path = path
        self.name = name
        self.trigger = trigger
    }

    /// The URL's last part without `.git` (`../shared-lib.git` → `shared-lib`).
    public static func defaultName(forURL url: String) -> String {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        var last = String(trimmed.split(whereSeparator: { $0 == "/" || $0 == ":" }).last ?? "repo")
        if last.hasSuffix(".git") { last.removeLast(4) }
        return last.isEmpty ? "repo" : last
    }
}

public struct JobConfig: Sendable {
    public var name: Located<String>
    public var stage: Located<String>
    public var steps: [StepConfig]
    /// nil: the job waits for every earlier stage; a list (even empty): only for those jobs.
    public var needs: [Located<String>]?
    public var env: [EnvironmentVariable]
    public var matrix: MatrixConfig?
    public var timeout: Seconds?
    /// `labels:` as written: they may name the job's matrix values (`${os}`), which planning
    /// expands (PlannedJob.labels).
    public var labels: [String]
    /// Where each of `labels` was written, in the same order.
    public var labelLocations: [SourceLocation] = []
    /// `when:` patterns: branches and tags the job runs for. Both nil: every build; otherwise
    /// only those a pattern matches (a nil list matches nothing).
    public var onlyBranches: [String]?
    public var onlyTags: [String]?
    public var allowFailure: Bool
    public var interruptible: Bool?
    /// What the job's cache key reads from the tree (InputPatterns); nil: the whole tree.
    public var inputs: [String]?
    /// `changes:` globs: the job runs only when a file they select differs from the base.
    public var changes: [String]?
    /// `changes_base:` a branch or revision whose merge base with the commit is the base of
    /// `changes:`, instead of the plan branch's last pass.
    public var changesBase: String?
    /// `cache:`: whether a passed run with the same key may stand for this job. Nil: yes, unless
    /// the job uses secrets (a deployment must happen on every build it is asked for, even of a
    /// tree that was deployed before: a revert, say).
    public var cache: Bool?

    /// Whether a passed run with the same cache key may stand for this job.
    public var isCacheable: Bool { cache ?? secrets.isEmpty }
    public var repos: [RepositorySpec]
    /// `artifacts:` patterns (InputPatterns' rules), relative to the job's workspace.
    public var artifacts: [String]
    /// `artifacts_when:` after which outcomes the artifacts are kept.
    public var artifactsWhen: ArtifactsWhen = .onSuccess
    /// `artifacts_required:` a pattern that matches nothing fails the job (otherwise: a warning).
    public var artifactsRequired: Bool = false
    /// `dependencies:` the jobs whose artifacts are placed in this job's workspace; nil: its `needs`.
    public var dependencies: [Located<String>]?
    public var junit: [String]
    public var secrets: [String]
    public var from: Located<String>?
    public var submodules: Submodules = .checkedOut
    /// `shell:` of the job: what runs the steps that name none.
    public var shell: StepShell?
    /// `python:` the interpreter versions (`3.12`, `3`, `pypy3.10`) the job runs in a venv of;
    /// empty: none. Written as a list, they are also an axis `python` of its matrix (ConfigReader
    /// adds it), and each planned job has one (PlannedJob.python).
    public var python: [Located<String>] = []
    /// Whether `python:` was a list, and so a matrix axis.
    public var pythonIsAxis = false
    /// `install:` what goes into the job's venv, each entry `pip install` arguments split at
    /// spaces (`-e .[test]`, `-r requirements.txt`, `pytest>=8`).
    public var install: [String] = []
}

/// `artifacts_when:` of a job.
public enum ArtifactsWhen: String, Sendable, Hashable, CaseIterable {
    case onSuccess = "on_success"
    case onFailure = "on_failure"
    case always

    /// Whether a job that ended `passed` (or failed, when false) keeps its artifacts.
    public func keeps(passed: Bool) -> Bool {
        switch self {
        case .onSuccess: return passed
        case .onFailure: return !passed
        case .always: return true
        }
    }
}

/// `submodules:` of a job: whether the gitlinks of the built commit are checked out in its
/// workspace, and those of the submodules too.
public enum Submodules: String, Sendable, Hashable {
    /// `false`: a submodule's folder stays empty.
    case skipped = "false"
    /// `true` (the default): each submodule at the commit recorded, not theirs.
    case checkedOut = "true"
    /// `recursive`: submodules of submodules too, at every depth.
    case recursive
}

/// A whole number of seconds; what `timeout:` values become.
public struct Seconds: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let value: Int

    public init(_ value: Int) {
        self.value = value
    }

    public static func < (lhs: Seconds, rhs: Seconds) -> Bool { lhs.value < rhs.value }

    public var description: String {
        var rest = value
        var parts: [String] = []
        for (unit, size) in [("h", 3600), ("m", 60)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
        }
        if rest > 0 || parts.isEmpty { parts.append("\(rest)s") }
        return parts.joined()
    }

    /// Parses `90`, `90s`, `10m`, `1h30m`, `1h 30m`, `2d`: units from the largest down, each
    /// once, spaces only between parts. Nil for anything else (`1s1h`, `5m5m`, `1 0m`, `+5`) or
    /// for zero.
    public static func parse(_ text: String) -> Seconds? {
        let trimmed = text.trimmingWhitespace()
        if trimmed.allSatisfy({ $0.isASCII && $0.isNumber }), let plain = Int(trimmed) {
            return plain > 0 && plain <= 31_536_000 ? Seconds(plain) : nil
        }
        var total = 0
        var number = ""
        var sawUnit = false
        var smallestUnit = Int.max
        for character in trimmed {
            if character == " " {
                guard number.isEmpty else { return nil }
                continue
            }
            if character.isASCII, character.isNumber {
                number.append(character)
                guard number.count <= 7 else { return nil }
                continue
            }
            let size: Int
            switch character {
            case "s": size = 1
            case "m": size = 60
            case "h": size = 3600
            case "d": size = 86_400
            default: return nil
            }
            guard let count = Int(number), size < smallestUnit else { return nil }
            smallestUnit = size
            total += count * size
            // Stop at the first part past the limit: a long enough sum of parts would overflow.
            guard total <= 31_536_000 else { return nil }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total > 0, total <= 31_536_000 else { return nil }
        return Seconds(total)
    }
}

extension String {
    /// Without the whitespace around it; Foundation's trimmingCharacters costs a first caller
    /// (such as the worker a push starts) ~0.2 ms of bridging to NSString.
    public func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
