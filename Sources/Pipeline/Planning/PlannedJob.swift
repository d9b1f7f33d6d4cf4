/// One job of the expanded pipeline: a matrix combination of a configured job, with its
/// dependencies resolved to other planned jobs.
public struct PlannedJob: Sendable, Identifiable {
    public static let defaultTimeout = Seconds(3600)

    /// Unique in the plan: `test`, or `test (python=3.12)` for a matrix combination.
    public let name: String
    public let baseName: String
    public let stage: String
    public let stageIndex: Int
    public let steps: [StepConfig]
    /// Explicit `needs:` as planned job names; nil when the job simply follows the stage order.
    public let needs: [String]?
    /// Every job that must finish before this one starts: its `needs`, or every job of the earlier
    /// stages when it has none.
    public internal(set) var dependencies: [String]
    /// Pipeline `env` then job `env`, in order (later entries win).
    public let environment: [EnvironmentVariable]
    /// Matrix values in axis order; they reach steps as `KEY` and `GITCI_MATRIX_KEY`.
    public let matrix: [EnvironmentVariable]
    public let timeout: Seconds
    public let allowFailure: Bool
    public let interruptible: Bool
    /// Which nodes may run the job: `labels:` with this combination's matrix values expanded
    /// (LabelExpansion).
    public let labels: [String]
    /// `when: {branch: [...]}` and `when: {tag: [...]}` patterns; nil: not limited that way.
    public let onlyBranches: [String]?
    public let onlyTags: [String]?
    /// The job as configured, for what later stages of the product read (inputs, repos, ...).
    public let config: JobConfig

    public var id: String { name }

    /// The tox environment a job of a `from: tox` job runs (`GITCI_TOX_ENV`); nil for other jobs.
    public var toxEnvironment: String? {
        environment.last { $0.name == ToxEnvironments.variable }?.value
    }

    /// The Python version (`python:`) the job's venv is made with: the value of its matrix axis
    /// `python` when `python:` is a list, else the one version; nil without `python:`.
    public var python: String? {
        guard !config.python.isEmpty else { return nil }
        if config.pythonIsAxis { return matrix.last { $0.name == "python" }?.value }
        return config.python.first?.value
    }

    /// Whether `when:` lets the job run for `target`. Without `when:` a job runs for every
    /// target; with it, only for a branch that a `branch` pattern matches or a tag that a `tag`
    /// pattern matches: `when: {branch: [main]}` does not run for a tag on main's tip.
    public func runs(for target: BuildTarget) -> Bool {
        exclusionReason(for: target) == nil
    }

    /// Why `when:` keeps the job from running for `target` (the reason its skipped result
    /// gives); nil when it runs.
    public func exclusionReason(for target: BuildTarget) -> String? {
        guard onlyBranches != nil || onlyTags != nil else { return nil }
        switch target {
        case .branch(let branch):
            if onlyBranches?.contains(where: { Glob.matches($0, branch) }) == true { return nil }
            return "not run on branch '\(branch)' (when: branch)"
        case .tag(let tag):
            if onlyTags?.contains(where: { Glob.matches($0, tag) }) == true { return nil }
            return "not run on tag '\(tag)' (when: tag)"
        case .detached:
            return "not run outside a branch or tag (when:)"
        }
    }

    /// `GITCI_MATRIX_<KEY>`: the key upper-cased (keys are already valid variable names).
    public static func matrixVariableName(_ key: String) -> String {
        "GITCI_MATRIX_" + key.uppercased()
    }
}

extension PlannedJob {
    /// `toxEnvironment`: the tox environment this job of a `from: tox` job runs (ToxEnvironments);
    /// nil for other jobs, and for a `from: tox` job planned without the tox file, which runs tox.
    /// `labels`: expanded (LabelExpansion); nil: `config.labels` as written.
    init(config: JobConfig, pipeline: PipelineConfig, stageIndex: Int, combination: [EnvironmentVariable],
         toxEnvironment: String? = nil, labels: [String]? = nil) {
        self.baseName = config.name.value
        let values = combination.map { "\($0.name)=\($0.value)" } + (toxEnvironment.map { ["env=\($0)"] } ?? [])
        self.name = values.isEmpty ? config.name.value : "\(config.name.value) (\(values.joined(separator: ", ")))"
        self.stage = config.stage.value
        self.stageIndex = stageIndex
        if let toxEnvironment {
            // The name reaches the shell as a variable, never as text of the command.
            self.steps = config.steps + [StepConfig(name: "tox -e \(toxEnvironment)", run: #"tox -e "$GITCI_TOX_ENV""#, timeout: nil)]
        } else {
            self.steps = config.steps.isEmpty && config.from?.value == "tox"
                ? [StepConfig(name: "tox", run: "tox", timeout: nil)]
                : config.steps
        }
        self.needs = nil
        self.dependencies = []
        self.environment = pipeline.env + config.env
            + (toxEnvironment.map { [EnvironmentVariable(name: ToxEnvironments.variable, value: $0)] } ?? [])
        self.matrix = combination
        self.timeout = config.timeout ?? Self.defaultTimeout
        self.allowFailure = config.allowFailure
        self.interruptible = config.interruptible ?? pipeline.interruptible
        self.labels = labels ?? config.labels
        self.onlyBranches = config.onlyBranches
        self.onlyTags = config.onlyTags
        self.config = config
    }

    func withNeeds(_ needs: [String]?) -> PlannedJob {
        PlannedJob(copying: self, needs: needs)
    }

    private init(copying job: PlannedJob, needs: [String]?) {
        self.name = job.name
        self.baseName = job.baseName
        self.stage = job.stage
        self.stageIndex = job.stageIndex
        self.steps = job.steps
        self.needs = needs
        self.dependencies = job.dependencies
        self.environment = job.environment
        self.matrix = job.matrix
        self.timeout = job.timeout
        self.allowFailure = job.allowFailure
        self.interruptible = job.interruptible
        self.labels = job.labels
        self.onlyBranches = job.onlyBranches
        self.onlyTags = job.onlyTags
        self.config = job.config
    }
}
