/// The expanded, checked pipeline: what will run, in which order, for one commit.
public struct Plan: Sendable {
    public static let maximumJobs = 1000

    public let stages: [String]
    /// In file order, matrix combinations in expansion order.
    public let jobs: [PlannedJob]
    public let config: PipelineConfig

    public func job(named name: String) -> PlannedJob? {
        jobs.first { $0.name == name }
    }

    /// Expands matrices and `from: tox` jobs, resolves `needs`, and refuses duplicate names and
    /// dependency cycles.
    public init(_ config: PipelineConfig, file: String = ".gitci.yml", tox: ToxInput = .unread) throws(ConfigError) {
        var sink = DiagnosticSink(file: file)
        let jobs = Self.plannedJobs(config, sink: &sink, tox: tox)
        try sink.check()
        self.stages = config.stages.map(\.value)
        self.config = config
        self.jobs = jobs
    }

    /// Every planned job with its dependencies, recording in `sink` every problem planning finds.
    /// The jobs are only usable when `sink` stayed empty; otherwise they stand in for checking
    /// the rest: a job whose matrix could not be expanded still counts once for `needs` and
    /// cycles, as do `unreadableJobs` (named in the file, but not readable as a job), so that one
    /// mistake is not reported again as a missing job.
    static func plannedJobs(_ config: PipelineConfig, sink: inout DiagnosticSink,
                            unreadableJobs: Set<String> = [], tox: ToxInput = .unread) -> [PlannedJob] {
        let stages = config.stages.map(\.value)
        var toxEnvironments = ToxEnvironments(tox)
        var jobs: [PlannedJob] = []
        var producer: [String: String] = [:]
        var locations: [String: SourceLocation] = [:]
        for job in config.jobs {
            let stageIndex = stages.firstIndex(of: job.stage.value) ?? 0
            var combinations: [[EnvironmentVariable]] = [[]]
            // Labels name matrix values: not checked against a matrix that could not be expanded.
            var labelsExpand = true
            if let matrix = job.matrix {
                labelsExpand = false
                switch MatrixExpansion.combinations(matrix, job: job.name.value, file: sink.file) {
                case .success(let expanded) where !expanded.isEmpty:
                    combinations = expanded
                    labelsExpand = true
                case .success: break  // an axis without values, reported where it was read
                case .failure(let diagnostic): sink.error(diagnostic.message, at: diagnostic.location)
                }
            }
            var matrixNames: [String] = []
            for combination in combinations {
                for value in combination where !matrixNames.contains(value.name) { matrixNames.append(value.name) }
            }
            var reportedLabels = Set<Int>()
            let environments: [String?] = job.from == nil ? [nil] : toxEnvironments.names(for: job, sink: &sink)
            var reportedLongName = false
            for (combination, environment) in combinations.flatMap({ combination in environments.map { (combination, $0) } }) {
                var planned = PlannedJob(config: job, pipeline: config, stageIndex: stageIndex, combination: combination,
                                         toxEnvironment: environment)
                if labelsExpand, !job.labels.isEmpty {
                    let labels = LabelExpansion.labels(of: job, plannedName: planned.name, combination: combination,
                                                       matrixNames: matrixNames, sink: &sink, reported: &reportedLabels)
                    if labels != job.labels {
                        planned = PlannedJob(config: job, pipeline: config, stageIndex: stageIndex, combination: combination,
                                             toxEnvironment: environment, labels: labels)
                    }
                }
                if planned.name != job.name.value, planned.name.count > JobName.maximumLength, !reportedLongName {
                    reportedLongName = true
                    sink.error("job name '\(NodeReader.truncated(planned.name))' is longer than \(JobName.maximumLength) characters after matrix expansion",
                               at: job.matrix?.location ?? job.name.location)
                }
                if let earlier = producer[planned.name] {
                    let origin = earlier == job.name.value ? "twice by job '\(earlier)'" : "by job '\(earlier)' and job '\(job.name.value)'"
                    sink.error("job name '\(planned.name)' is produced \(origin); job names must be unique after matrix expansion", at: job.name.location)
                    continue
                }
                producer[planned.name] = job.name.value
                locations[planned.name] = job.name.location
                jobs.append(planned)
            }
        }
        if jobs.count > Self.maximumJobs {
            sink.error("the pipeline expands to \(jobs.count) jobs; the limit is \(Self.maximumJobs)", at: .start)
            return []
        }

        // Resolve `needs`: a name matches a planned job exactly, or every combination of a matrix job.
        let names = Set(jobs.map(\.name))
        let byBase = Dictionary(grouping: jobs, by: \.baseName).mapValues { $0.map(\.name) }
        var baseNames: [String] = []
        for job in jobs where baseNames.last != job.baseName { baseNames.append(job.baseName) }
        var resolved: [PlannedJob] = []
        for job in jobs {
            // `dependencies:` names jobs as `needs:` does; checked once per configured job.
            if job.name == byBase[job.baseName]?.first {
                for dependency in job.config.dependencies ?? []
                where !names.contains(dependency.value) && byBase[dependency.value] == nil && !unreadableJobs.contains(dependency.value) {
                    var message = "job '\(job.baseName)' takes the artifacts of '\(dependency.value)' (dependencies), which is not a job of this pipeline"
                    if let suggestion = Suggestion.closest(to: dependency.value, among: baseNames) {
                        message += "; did you mean '\(suggestion)'?"
                    }
                    sink.error(message, at: dependency.location)
                }
            }
            guard let needs = job.config.needs else {
                resolved.append(job)
                continue
            }
            var targets: [String] = []
            for need in needs {
                if names.contains(need.value) {
                    targets.append(need.value)
                } else if let expanded = byBase[need.value] {
                    targets.append(contentsOf: expanded)
                } else if !unreadableJobs.contains(need.value) {
                    var message = "job '\(job.baseName)' needs '\(need.value)', which is not a job of this pipeline"
                    if let suggestion = Suggestion.closest(to: need.value, among: baseNames) {
                        message += "; did you mean '\(suggestion)'?"
                    }
                    sink.error(message, at: need.location)
                }
            }
            var seen = Set<String>()
            resolved.append(job.withNeeds(targets.filter { seen.insert($0).inserted }))
        }

        let planned = withDependencies(resolved, among: names)
        let byName = Dictionary(uniqueKeysWithValues: planned.map { ($0.name, $0) })
        for cycle in DependencyCycle.find(in: planned) {
            // Point at the first `needs:` entry that closes the cycle (an edge may come from stage
            // order instead, which has nothing written to point at).
            let edges = zip(cycle, cycle.dropFirst() + [cycle[0]])
            let location = edges.lazy.compactMap { job, target in
                byName[job]?.config.needs?.first { $0.value == target || $0.value == byName[target]?.baseName }?.location
            }.first ?? locations[cycle[0]] ?? .start
            sink.error("needs cycle: \(cycle.joined(separator: " → ")) → \(cycle[0])", at: location)
        }
        return planned
    }

    private init(stages: [String], jobs: [PlannedJob], config: PipelineConfig) {
        self.stages = stages
        self.jobs = jobs
        self.config = config
    }

    /// Effective dependencies inside `selected`: explicit needs, or every selected job of an
    /// earlier stage.
    /// The jobs of one stage share one list of the earlier stages' jobs, made once per stage, so
    /// planning 1,000 jobs does not filter the plan 1,000 times.
    static func withDependencies(_ jobs: [PlannedJob], among selected: Set<String>) -> [PlannedJob] {
        var earlierStages: [Int: [String]] = [:]
        for stageIndex in Set(jobs.map(\.stageIndex)) {
            earlierStages[stageIndex] = jobs.filter { $0.stageIndex < stageIndex && selected.contains($0.name) }.map(\.name)
        }
        return jobs.map { job in
            var job = job
            if let needs = job.needs {
                job.dependencies = needs.filter(selected.contains)
            } else {
                job.dependencies = earlierStages[job.stageIndex] ?? []
            }
            return job
        }
    }

    /// The named jobs (by full name, or every combination of a matrix job) plus, transitively,
    /// what they need. Throws the names that match nothing.
    public func selecting(_ requested: [String]) throws(UnknownJobsError) -> Plan {
        guard !requested.isEmpty else { return self }
        var wanted: [String] = []
        var unknown: [String] = []
        for name in requested {
            let matches = jobs.filter { $0.name == name || $0.baseName == name }.map(\.name)
            if matches.isEmpty { unknown.append(name) } else { wanted.append(contentsOf: matches) }
        }
        guard unknown.isEmpty else {
            throw UnknownJobsError(names: unknown, known: Array(Set(jobs.map(\.baseName))).sorted())
        }
        let byName = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0) })
        var selected = Set<String>()
        var pending = wanted
        while let name = pending.popLast() {
            guard selected.insert(name).inserted, let job = byName[name] else { continue }
            pending.append(contentsOf: job.needs ?? [])
        }
        let kept = jobs.filter { selected.contains($0.name) }
        return Plan(stages: stages, jobs: Self.withDependencies(kept, among: selected), config: config)
    }
}

public struct UnknownJobsError: Error, CustomStringConvertible, Sendable {
    public let names: [String]
    public let known: [String]

    public var description: String {
        names.map { name in
            var line = "no job named '\(name)' in the pipeline"
            if let suggestion = Suggestion.closest(to: name, among: known) { line += "; did you mean '\(suggestion)'?" }
            return line
        }.joined(separator: "\n") + "\njobs: " + known.joined(separator: ", ")
    }
}

enum DependencyCycle {
    /// One cycle per group of jobs that wait for each other (a strongly connected component of the
    /// effective dependency graph), as the job names along it in needs order: `[a, c, b]` reads
    /// "a waits for c, c for b, b for a". Each starts at the group's first job in file order and
    /// is the shortest way back to it.
    ///
    /// Linear in jobs plus `needs` entries: stage order (a job without `needs` waits for every
    /// job of the earlier stages, n² edges in a plan of many stages) enters the search for groups
    /// as one node per stage, "every job before this stage", waiting for the jobs of the stage
    /// before and for that stage's node. Only a group of two jobs or more (or a job that needs
    /// itself) is then searched for its shortest cycle, through the jobs' own dependencies.
    static func find(in jobs: [PlannedJob]) -> [[String]] {
        let index = Dictionary(uniqueKeysWithValues: jobs.enumerated().map { ($1.name, $0) })
        // Node `jobs.count + p` stands for every job of the stages before the p-th stage used.
        let stages = Set(jobs.map(\.stageIndex)).sorted()
        let stagePosition = Dictionary(uniqueKeysWithValues: stages.enumerated().map { ($1, $0) })
        var graph: [[Int]] = jobs.map { job in
            guard job.needs != nil else { return [jobs.count + (stagePosition[job.stageIndex] ?? 0)] }
            return job.dependencies.compactMap { index[$0] }
        }
        graph += stages.indices.map { $0 == 0 ? [] : [jobs.count + $0 - 1] }
        for (position, job) in jobs.enumerated() {
            let stage = stagePosition[job.stageIndex] ?? 0
            if stage + 1 < stages.count { graph[jobs.count + stage + 1].append(position) }
        }
        let component = components(graph)
        var members: [Int: Int] = [:]
        for position in jobs.indices { members[component[position], default: 0] += 1 }

        var cycles: [(start: Int, names: [String])] = []
        var seen = Set<Int>()
        for start in jobs.indices where seen.insert(component[start]).inserted {
            let group = component[start]
            guard members[group, default: 0] > 1 || jobs[start].needs?.contains(jobs[start].name) == true else { continue }
            // Breadth-first from `start` inside its group, until an edge leads back to it.
            var previous: [Int: Int] = [:]
            var queue = [start]
            var head = 0
            var closing: Int?
            search: while head < queue.count {
                let node = queue[head]
                head += 1
                for target in jobs[node].dependencies.compactMap({ index[$0] }) where component[target] == group {
                    if target == start {
                        closing = node
                        break search
                    }
                    if previous[target] == nil {
                        previous[target] = node
                        queue.append(target)
                    }
                }
            }
            guard let closing else { continue }
            var path = [closing]
            while let last = path.last, last != start, let before = previous[last] { path.append(before) }
            cycles.append((start, path.reversed().map { jobs[$0].name }))
        }
        return cycles.sorted { $0.start < $1.start }.map(\.names)
    }

    /// Tarjan's strongly connected components, iteratively (a chain of 1,000 jobs must not
    /// recurse 1,000 deep): the component number of every node.
    private static func components(_ edges: [[Int]]) -> [Int] {
        let count = edges.count
        var order = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var component = [Int](repeating: -1, count: count)
        var components = 0
        var counter = 0
        for root in 0..<count where order[root] < 0 {
            var work: [(node: Int, next: Int)] = [(root, 0)]
            order[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            while let (node, next) = work.last {
                if next < edges[node].count {
                    work[work.count - 1].next += 1
                    let target = edges[node][next]
                    if order[target] < 0 {
                        order[target] = counter
                        low[target] = counter
                        counter += 1
                        stack.append(target)
                        onStack[target] = true
                        work.append((target, 0))
                    } else if onStack[target] {
                        low[node] = min(low[node], order[target])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[node]) }
                guard low[node] == order[node] else { continue }
                while let member = stack.popLast() {
                    onStack[member] = false
                    component[member] = components
                    if member == node { break }
                }
                components += 1
            }
        }
        return component
    }
}
