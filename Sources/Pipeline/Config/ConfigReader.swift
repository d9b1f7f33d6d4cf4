internal import Yams

/// Maps the YAML tree onto `PipelineConfig`, one key at a time, collecting every problem.
enum ConfigReader {
    /// `unreadableJobs` receives the names of jobs whose body is not a mapping: they exist, even
    /// though there is no job to read.
    static func read(_ root: Node, _ reader: inout NodeReader, unreadableJobs: inout Set<String>) -> PipelineConfig? {
        guard let entries = reader.mapping(root, "the pipeline file") else { return nil }
        reader.rejectUnknownKeys(entries, allowed: PipelineConfig.topLevelKeys, in: "the pipeline file")
        var config = PipelineConfig(
            stages: PipelineConfig.defaultStages.map { Located($0, at: .start) },
            branches: BranchFilter(), tags: [], interruptible: false, env: [], jobs: []
        )
        var jobsNode: Node?
        for (key, value) in entries {
            switch key.value {
            case "stages":
                if let stages = reader.stringList(value, "'stages'") {
                    var seen = Set<String>()
                    for stage in stages where !seen.insert(stage.value).inserted {
                        reader.sink.error("stage '\(stage.value)' is listed twice", at: stage.location)
                    }
                    if stages.isEmpty { reader.error("'stages' must name at least one stage", at: value) }
                    config.stages = stages
                }
            case "branches":
                config.branches = branchFilter(value, &reader)
            case "tags":
                config.tags = reader.stringList(value, "'tags'")?.map(\.value) ?? []
            case "interruptible":
                config.interruptible = reader.bool(value, "'interruptible'") ?? false
            case "env":
                config.env = reader.environment(value, "'env'")
            case "jobs":
                jobsNode = value
            case "schedules":
                config.schedules = schedules(value, &reader)
            default:
                break
            }
        }
        guard let jobsNode else {
            reader.sink.error("the pipeline has no 'jobs' mapping", at: NodeReader.location(root))
            return config
        }
        guard let jobEntries = reader.mapping(jobsNode, "'jobs'") else { return config }
        let stageNames = config.stages.map(\.value)
        for (name, value) in jobEntries {
            // Jobs whose name starts with a dot are templates for YAML anchors, never run.
            if name.value.hasPrefix(".") { continue }
            if let job = job(named: name, value, stages: stageNames, &reader) {
                config.jobs.append(job)
            } else {
                unreadableJobs.insert(name.value)
            }
        }
        if config.jobs.isEmpty && jobEntries.allSatisfy({ $0.key.value.hasPrefix(".") }) {
            reader.error("'jobs' must define at least one job", at: jobsNode)
        }
        return config
    }

    static func branchFilter(_ node: Node, _ reader: inout NodeReader) -> BranchFilter {
        if case .mapping = node {
            guard let entries = reader.mapping(node, "'branches'") else { return BranchFilter() }
            reader.rejectUnknownKeys(entries, allowed: ["include", "exclude"], in: "'branches'")
            var filter = BranchFilter()
            for (key, value) in entries {
                let patterns = reader.stringList(value, "'branches.\(key.value)'")?.map(\.value) ?? []
                if key.value == "include" { filter.include = patterns }
                if key.value == "exclude" { filter.exclude = patterns }
            }
            return filter
        }
        return BranchFilter(include: reader.stringList(node, "'branches'")?.map(\.value))
    }

    /// `true`, `false` (any spelling `bool` takes) or `recursive`; the default after an error.
    static func submodules(_ node: Node, _ field: String, _ reader: inout NodeReader) -> Submodules {
        if case .scalar(let scalar) = node {
            switch scalar.string {
            case "recursive": return .recursive
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .checkedOut
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .skipped
            default: break
            }
        }
        reader.error("\(field) must be true, false or recursive, not \(NodeReader.describe(node))", at: node)
        return .checkedOut
    }

    static func job(named name: Located<String>, _ node: Node, stages: [String], _ reader: inout NodeReader) -> JobConfig? {
        let what = "job '\(NodeReader.truncated(name.value))'"
        if let problem = JobName.problem(name.value) {
            reader.sink.error("\(what): \(problem)", at: name.location)
        }
        guard let entries = reader.mapping(node, what) else { return nil }
        reader.rejectUnknownKeys(entries, allowed: PipelineConfig.jobKeys, in: what)
        var job = JobConfig(
            name: name, stage: Located(PipelineConfig.defaultStage, at: name.location), steps: [], needs: nil,
            env: [], matrix: nil, timeout: nil, labels: [], onlyBranches: nil, onlyTags: nil, allowFailure: false,
            interruptible: nil, inputs: nil, changes: nil, repos: [], artifacts: [], junit: [], secrets: [], from: nil
        )
        var sawSteps = false
        var sawStage = false
        var sawFrom = false
        var pythonKey: Located<String>?
        var installKey: Located<String>?
        // Steps written but wrong (a mapping, a list inside the list) are reported as such, not
        // again as "no steps".
        var stepsHadErrors = false
        for (key, value) in entries {
            let field = "'\(key.value)' of \(what)"
            switch key.value {
            case "stage":
                if let stage = reader.string(value, field) {
                    job.stage = Located(stage, at: NodeReader.location(value))
                    sawStage = true
                }
            case "steps":
                sawSteps = true
                let errorsBefore = reader.sink.diagnostics.count
                job.steps = steps(value, field, &reader)
                stepsHadErrors = reader.sink.diagnostics.count > errorsBefore
            case "needs":
                job.needs = reader.stringList(value, field)
            case "env":
                job.env = reader.environment(value, field)
            case "matrix":
                job.matrix = MatrixReader.read(value, field, &reader)
            case "timeout":
                job.timeout = reader.duration(value, field)
            case "labels":
                let labels = reader.stringList(value, field) ?? []
                job.labels = labels.map(\.value)
                job.labelLocations = labels.map(\.location)
            case "when":
                (job.onlyBranches, job.onlyTags) = condition(value, field, &reader)
            case "allow_failure":
                job.allowFailure = reader.bool(value, field) ?? false
            case "interruptible":
                job.interruptible = reader.bool(value, field)
            case "inputs":
                job.inputs = pathPatterns(value, field, &reader)
            case "changes":
                job.changes = pathPatterns(value, field, &reader)
            case "changes_base":
                job.changesBase = reader.string(value, field)
            case "cache":
                job.cache = reader.bool(value, field)
            case "repos":
                job.repos = repositories(value, field, &reader)
            case "artifacts":
                job.artifacts = artifactPatterns(value, field, &reader)
            case "artifacts_when":
                if let when = reader.string(value, field) {
                    if let parsed = ArtifactsWhen(rawValue: when) {
                        job.artifactsWhen = parsed
                    } else {
                        reader.error("\(field) must be on_success, on_failure or always, not '\(NodeReader.truncated(when))'", at: value)
                    }
                }
            case "artifacts_required":
                job.artifactsRequired = reader.bool(value, field) ?? false
            case "dependencies":
                job.dependencies = reader.stringList(value, field)
            case "junit":
                job.junit = reader.stringList(value, field)?.map(\.value) ?? []
            case "secrets":
                let secrets = reader.stringList(value, field) ?? []
                for secret in secrets where !Identifier.isEnvironmentName(secret.value) {
                    reader.sink.error("secret '\(NodeReader.truncated(secret.value))' in \(what) is not a valid environment variable name", at: secret.location)
                }
                job.secrets = secrets.map(\.value)
            case "submodules":
                job.submodules = submodules(value, field, &reader)
            case "shell":
                job.shell = choice(value, field, &reader)
            case "python":
                pythonKey = key
                job.pythonIsAxis = if case .sequence = value { true } else { false }
                job.python = pythonVersions(value, field, &reader)
            case "install":
                installKey = key
                job.install = installEntries(value, field, &reader)
            case "from":
                sawFrom = true
                if let source = reader.string(value, field) {
                    if source == "tox" {
                        job.from = Located(source, at: NodeReader.location(value))
                    } else {
                        reader.error("\(field) must be 'tox' (the only generator gitci knows), not '\(NodeReader.truncated(source))'", at: value)
                    }
                }
            default:
                break
            }
        }
        if sawStage, !stages.contains(job.stage.value) {
            var message = "\(what) is in stage '\(NodeReader.truncated(job.stage.value))', which is not in 'stages' (\(stages.joined(separator: ", ")))"
            if let suggestion = Suggestion.closest(to: job.stage.value, among: stages) {
                message += "; did you mean '\(suggestion)'?"
            }
            reader.sink.error(message, at: job.stage.location)
        } else if !sawStage, !stages.contains(job.stage.value) {
            reader.sink.error("\(what) has no 'stage', and the default stage 'test' is not in 'stages'", at: name.location)
        }
        applyPython(to: &job, pythonKey: pythonKey, installKey: installKey, what: what, &reader)
        if job.steps.isEmpty && !sawFrom && !stepsHadErrors {
            reader.sink.error(sawSteps ? "\(what) has an empty 'steps' list" : "\(what) has no 'steps'", at: name.location)
        }
        return job
    }

    // MARK: - python: and install:

    /// `3.12`, `3`, `pypy3.10`: what PATH, pyenv and uv name interpreters by. Anything else
    /// (`3.x`, `python3.12`, `>=3.11`) is refused rather than guessed at.
    static func isPythonVersion(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.hasPrefix("pypy") { rest = rest.dropFirst(4) }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count)
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    static func pythonVersions(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [Located<String>] {
        guard let versions = reader.stringList(node, what) else { return [] }
        if versions.isEmpty { reader.error("\(what) names no version", at: node) }
        var seen = Set<String>()
        var valid: [Located<String>] = []
        for version in versions {
            if !isPythonVersion(version.value) {
                reader.sink.error("'\(NodeReader.truncated(version.value))' in \(what) is not a Python version; write it as \"3.12\", \"3\" or \"pypy3.10\"",
                                  at: version.location)
            } else if !seen.insert(version.value).inserted {
                reader.sink.error("version '\(version.value)' appears twice in \(what)", at: version.location)
            } else {
                valid.append(version)
            }
        }
        return valid
    }

    static func installEntries(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [String] {
        guard let entries = reader.stringList(node, what) else { return [] }
        for entry in entries where entry.value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            reader.sink.error("an entry of \(what) must not contain control characters", at: entry.location)
        }
        return entries.map(\.value)
    }

    /// Checks `python:` and `install:` against the job's other keys, and makes a list of
    /// versions the matrix axis `python`, first (`test (python=3.12, os=…)`).
    static func applyPython(to job: inout JobConfig, pythonKey: Located<String>?, installKey: Located<String>?, what: String,
                            _ reader: inout NodeReader) {
        if let key = job.from == nil ? nil : pythonKey ?? installKey {
            reader.sink.error("'\(key.value)' of \(what) does not go with 'from: tox': tox makes each environment's venv itself, "
                + "with the interpreter its name or base_python asks for and the deps its configuration lists", at: key.location)
            return
        }
        if let installKey, pythonKey == nil {
            reader.sink.error("'install' of \(what) needs 'python': it lists what goes into the job's venv, made with that interpreter",
                              at: installKey.location)
        }
        guard let pythonKey, job.pythonIsAxis, !job.python.isEmpty else { return }
        if var matrix = job.matrix {
            if let axis = matrix.axes.first(where: { $0.name.value == "python" }) {
                reader.sink.error("\(what) names the python versions twice, in 'python' and in its matrix's axis 'python' "
                    + "(line \(axis.name.location.line)); keep one", at: pythonKey.location)
                return
            }
            matrix.axes.insert((Located("python", at: pythonKey.location), job.python.map(\.value)), at: 0)
            job.matrix = matrix
        } else {
            job.matrix = MatrixConfig(axes: [(Located("python", at: pythonKey.location), job.python.map(\.value))],
                                      include: [], exclude: [], location: pythonKey.location)
        }
    }

    /// `inputs:` and `changes:` entries (InputPatterns): paths from the repository's root that
    /// cannot leave it.
    static func pathPatterns(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [String]? {
        guard let list = reader.stringList(node, what) else { return nil }
        for entry in list {
            if let problem = InputPatterns.problem(entry.value) {
                reader.sink.error("'\(NodeReader.truncated(entry.value))' in \(what) \(problem)", at: entry.location)
            }
        }
        return list.map(\.value)
    }

    /// `artifacts:` entries: paths in the job's workspace, which neither start at `/` nor climb
    /// out of it with `..`.
    static func artifactPatterns(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [String] {
        guard let list = reader.stringList(node, what) else { return [] }
        for entry in list {
            let path = entry.value.hasPrefix("!") ? String(entry.value.dropFirst()) : entry.value
            if path.hasPrefix("/") {
                reader.sink.error("'\(NodeReader.truncated(entry.value))' in \(what) is an absolute path; artifacts are paths in the job's workspace", at: entry.location)
            } else if path.split(separator: "/").contains("..") {
                reader.sink.error("'\(NodeReader.truncated(entry.value))' in \(what) leaves the job's workspace ('..')", at: entry.location)
            } else if let problem = InputPatterns.problem(entry.value) {
                reader.sink.error("'\(NodeReader.truncated(entry.value))' in \(what) \(problem)", at: entry.location)
            }
        }
        return list.map(\.value)
    }

    static func steps(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [StepConfig] {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar where !NodeReader.isNull(node): items = [node]
        default:
            reader.error("\(what) must be a list of commands, not \(NodeReader.describe(node))", at: node)
            return []
        }
        var steps: [StepConfig] = []
        for (index, item) in items.enumerated() {
            let stepWhat = "step \(index + 1) of \(what)"
            if case .mapping = item {
                guard let entries = reader.mapping(item, stepWhat) else { continue }
                reader.rejectUnknownKeys(entries, allowed: ["name", "run", "timeout", "shell", "if", "allow_failure"], in: stepWhat)
                var step = StepConfig(name: "", run: "", timeout: nil)
                var sawRun = false
                for (key, value) in entries {
                    switch key.value {
                    case "name": step.name = reader.string(value, "'name' of \(stepWhat)") ?? ""
                    case "run":
                        sawRun = true
                        step.run = reader.string(value, "'run' of \(stepWhat)") ?? ""
                    case "timeout": step.timeout = reader.duration(value, "'timeout' of \(stepWhat)")
                    case "shell": step.shell = choice(value, "'shell' of \(stepWhat)", &reader)
                    case "if": step.condition = choice(value, "'if' of \(stepWhat)", &reader) ?? .success
                    case "allow_failure": step.allowFailure = reader.bool(value, "'allow_failure' of \(stepWhat)") ?? false
                    default: break
                    }
                }
                if !sawRun { reader.error("\(stepWhat) has no 'run' command", at: item) }
                if step.name.isEmpty { step.name = StepConfig.defaultName(for: step.run) }
                steps.append(step)
            } else if let command = reader.string(item, stepWhat) {
                steps.append(StepConfig(name: StepConfig.defaultName(for: command), run: command, timeout: nil))
            }
        }
        return steps
    }

    /// One of a closed set of words (`shell:`, a step's `if:`), reported with the words allowed.
    static func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ what: String, _ reader: inout NodeReader) -> Choice?
    where Choice.RawValue == String {
        guard let text = reader.string(node, what) else { return nil }
        if let choice = Choice(rawValue: text) { return choice }
        let words = Choice.allCases.map(\.rawValue)
        var message = "\(what) must be \(words.joined(separator: ", ")), not '\(NodeReader.truncated(text))'"
        if let suggestion = Suggestion.closest(to: text, among: words) { message += "; did you mean '\(suggestion)'?" }
        reader.error(message, at: node)
        return nil
    }

    /// `when: {branch: [...], tag: [...]}`: the branch and the tag patterns.
    static func condition(_ node: Node, _ what: String, _ reader: inout NodeReader) -> (branches: [String]?, tags: [String]?) {
        guard let entries = reader.mapping(node, what) else { return (nil, nil) }
        reader.rejectUnknownKeys(entries, allowed: ["branch", "tag"], in: what)
        var branches: [String]?
        var tags: [String]?
        for (key, value) in entries {
            switch key.value {
            case "branch": branches = reader.stringList(value, "'branch' of \(what)")?.map(\.value)
            case "tag": tags = reader.stringList(value, "'tag' of \(what)")?.map(\.value)
            default: break
            }
        }
        return (branches, tags)
    }

    static func schedules(_ node: Node, _ reader: inout NodeReader) -> [Schedule] {
        guard case .sequence(let sequence) = node else {
            if !NodeReader.isNull(node) {
                reader.error("'schedules' must be a list of {cron, branch}, not \(NodeReader.describe(node))", at: node)
            }
            return []
        }
        var schedules: [Schedule] = []
        for item in sequence {
            let what = "an entry of 'schedules'"
            guard let entries = reader.mapping(item, what) else { continue }
            reader.rejectUnknownKeys(entries, allowed: ["cron", "branch"], in: what)
            var cron: CronSchedule?
            var branch: String?
            var cronSeen = false
            for (key, value) in entries {
                guard let text = reader.string(value, "'\(key.value)' of \(what)") else { continue }
                if key.value == "cron" {
                    cronSeen = true
                    do {
                        cron = try CronSchedule(text)
                    } catch {
                        reader.error("'cron' of \(what): \(error.description)", at: value)
                    }
                } else if key.value == "branch" {
                    if let problem = BranchName.problem(text) {
                        reader.error("'branch' of \(what): \(problem)", at: value)
                    } else {
                        branch = text
                    }
                }
            }
            if !cronSeen { reader.error("\(what) has no 'cron'", at: item) }
            if !entries.contains(where: { $0.key.value == "branch" }) { reader.error("\(what) has no 'branch'", at: item) }
            if let cron, let branch { schedules.append(Schedule(cron: cron, branch: branch)) }
        }
        return schedules
    }

    static func repositories(_ node: Node, _ what: String, _ reader: inout NodeReader) -> [RepositorySpec] {
        guard case .sequence(let sequence) = node else {
            if !NodeReader.isNull(node) {
                reader.error("\(what) must be a list of {url, ref, path}, not \(NodeReader.describe(node))", at: node)
            }
            return []
        }
        var specs: [RepositorySpec] = []
        for item in sequence {
            guard let entries = reader.mapping(item, "an entry of \(what)") else { continue }
            reader.rejectUnknownKeys(entries, allowed: ["url", "ref", "path", "name", "trigger"], in: "an entry of \(what)")
            var url = "", ref = "HEAD", path: String?, name: String?, trigger = false
            for (key, value) in entries {
                if key.value == "trigger" {
                    trigger = reader.bool(value, "'trigger' of an entry of \(what)") ?? false
                    continue
                }
                let text = reader.string(value, "'\(key.value)' of an entry of \(what)") ?? ""
                switch key.value {
                case "url": url = text
                case "ref": ref = text
                case "path": path = text
                case "name": name = text
                default: break
                }
            }
            if url.isEmpty { reader.error("an entry of \(what) has no 'url'", at: item) }
            let entryName = name ?? RepositorySpec.defaultName(forURL: url)
            specs.append(RepositorySpec(url: url, ref: ref, path: path ?? entryName, name: entryName, trigger: trigger))
        }
        return specs
    }
}

extension StepConfig {
    /// A step without a name is shown by its command's first line, shortened.
    static func defaultName(for command: String) -> String {
        let firstLine = command.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? command
        let trimmed = firstLine.trimmingWhitespace()
        return trimmed.count > 60 ? String(trimmed.prefix(60)) + "…" : trimmed
    }
}

enum JobName {
    static let maximumLength = 200

    /// Job names end up in file names, log lines and environment variables: keep them printable.
    static func problem(_ name: String) -> String? {
        if name.trimmingWhitespace().isEmpty { return "a job name must not be empty" }
        if name.count > maximumLength { return "a job name may be at most \(maximumLength) characters" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "a job name must not contain control characters"
        }
        return nil
    }
}

/// A branch named in the pipeline file must be one git could have: git's rules for reference
/// names (git-check-ref-format), applied to `refs/heads/<name>`.
enum BranchName {
    static func problem(_ name: String) -> String? {
        let quoted = "'\(NodeReader.truncated(name))'"
        if name.isEmpty { return "a branch name must not be empty" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || " ~^:?*[\\".unicodeScalars.contains($0) }) {
            return "\(quoted) is not a branch name: it holds a space, a control character or one of ~^:?*[\\"
        }
        if name.hasPrefix("-") || name.hasPrefix("/") || name.hasSuffix("/") || name.hasSuffix(".") || name == "@"
            || name.contains("..") || name.contains("//") || name.contains("@{")
            || name.split(separator: "/").contains(where: { $0.hasPrefix(".") || $0.hasSuffix(".lock") }) {
            return "\(quoted) is not a branch name git allows"
        }
        return nil
    }
}
