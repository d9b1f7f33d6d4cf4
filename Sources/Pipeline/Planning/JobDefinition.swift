/// What a planned job runs, written out canonically: the part of its cache key that comes from
/// the pipeline file.
///
/// Everything that changes what the job's steps do or see is in it: its name and stage (steps
/// see them as `GITCI_JOB` and `GITCI_STAGE`), steps, environment in order, matrix values,
/// timeout, labels (which node), submodules, shell, artifacts, JUnit reports, secrets' names, `repos:`
/// entries, `inputs:` and `from:`. Left out is what only decides whether or when it runs
/// (`needs`, `when`, `changes`, `allow_failure`, `interruptible`): a job whose passed result is
/// reused ran exactly what it would run now.
///
/// Every text is written with its length in bytes, so no value can pass for another field, and
/// the first line names the format's version: a change to this format changes every key,
/// rather than letting an old result stand for a job read differently.
public enum JobDefinition {
    public static let version = 2

    /// The job keys (PipelineConfig.jobKeys) whose values are in the text. A key added to the
    /// pipeline file must be put here or in `keysLeftOut` (a test keeps every key in one of
    /// them): a key that changes what runs but is missing from the text would let a stale
    /// result stand.
    public static let keysInText: Set<String> = [
        "stage", "steps", "env", "matrix", "timeout", "labels", "inputs", "repos", "artifacts", "junit", "secrets",
        "from", "submodules", "shell", "artifacts_when", "artifacts_required", "python", "install",
    ]
    /// Keys that only decide whether, when or after what the job runs.
    public static let keysLeftOut: Set<String> = [
        "needs", "when", "allow_failure", "interruptible", "changes", "changes_base", "cache",
        // Whose artifacts arrive: like `needs`, the producing jobs' own keys hold what they made.
        "dependencies",
    ]

    public static func canonicalText(of job: PlannedJob) -> String {
        var writer = Writer()
        writer.line("gitci-job-definition", "\(version)")
        writer.line("name", job.name)
        writer.line("stage", job.stage)
        for step in job.steps {
            writer.line("step", step.name, step.run, step.timeout.map { "\($0.value)" } ?? "-",
                        step.shell?.rawValue ?? "-", step.condition.rawValue, step.allowFailure ? "allow_failure" : "-")
        }
        for variable in job.environment { writer.line("env", variable.name, variable.value) }
        for value in job.matrix { writer.line("matrix", value.name, value.value) }
        writer.line("timeout", "\(job.timeout.value)")
        writer.line("labels", job.labels)
        let config = job.config
        writer.line("submodules", config.submodules.rawValue)
        writer.line("artifacts", config.artifacts)
        // Only with artifacts: the keys of jobs without any stay as they were.
        if !config.artifacts.isEmpty {
            writer.line("artifacts_when", config.artifactsWhen.rawValue, config.artifactsRequired ? "required" : "optional")
        }
        writer.line("junit", config.junit)
        writer.line("secrets", config.secrets)
        for repository in config.repos {
            writer.line("repo", repository.name, repository.url, repository.ref, repository.path)
        }
        writer.line("inputs", config.inputs ?? ["."])
        writer.line("from", config.from?.value ?? "-")
        writer.line("shell", config.shell?.rawValue ?? "-")
        // Only with python: the keys of other jobs stay as they were (no version change). The
        // interpreter's exact version is the machine's, as every other tool a step runs.
        if let python = job.python {
            writer.line("python", python)
            writer.line("install", config.install)
        }
        return writer.text
    }

    private struct Writer {
        var text = ""

        mutating func line(_ field: String, _ values: [String]) {
            text += field
            for value in values { text += " \(value.utf8.count):\(value)" }
            text += "\n"
        }

        mutating func line(_ field: String, _ values: String...) {
            line(field, values)
        }
    }
}
