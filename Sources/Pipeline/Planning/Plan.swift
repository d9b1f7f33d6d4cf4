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

    /// Expands matrices, resolves `needs`, and refuses duplicate names and dependency cycles.
    public init(_ config: PipelineConfig, file: String = ".gitci.yml") throws(ConfigError) {
        var sink = DiagnosticSink(file: file)
        let stages = config.stages.map(\.value)
        var jobs: [PlannedJob] = []
        var producer: [String: String] = [:]
        var locations: [String: SourceLocation] = [:]
        for job in config.jobs {
            let stageIndex = stages.firstIndex(of: job.stage.value) ?? 0
            var combinations: [[EnvironmentVariable]] = [[]]
            if let matrix = job.matrix {
                switch MatrixExpansion.combinations(matrix, job: job.name.value, file: file) {
                case .success(let expanded): combinations = expanded
                case .failure(let diagnostic):
                    sink.error(diagnostic.message, at: diagnostic.location)
                    continue
                }
            }
            for combination in combinations {
                let planned = PlannedJob(config: job, pipeline: config, stageIndex: stageIndex, combination: combination)
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
            try sink.check()
        }

        // Resolve `needs`: a name matches a planned job exactly, or every combination of a matrix job.
        let names = Set(jobs.map(\.name))
        let byBase = Dictionary(grouping: jobs, by: \.baseName).mapValues { $0.map(\.name) }
        var resolved: [PlannedJob] = []
        for job in jobs {
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
                } else {
                    var message = "job '\(job.baseName)' needs '\(need.value)', which is not a job of this pipeline"
                    if let suggestion = Suggestion.closest(to: need.value, among: Array(byBase.keys)) {
                        message += "; did you mean '\(suggestion)'?"
                    }
                    sink.error(message, at: need.location)
                }
            }
            var seen = Set<String>()
            resolved.append(job.withNeeds(targets.filter { seen.insert($0).inserted }))
        }
        try sink.check()

        self.stages = stages
        self.config = config
        self.jobs = Self.withDependencies(resolved, among: Set(resolved.map(\.name)))
        if let cycle = DependencyCycle.find(in: self.jobs) {
            let first = self.jobs.first { $0.name == cycle[0] }
            let location = first?.config.needs?.first?.location ?? locations[cycle[0]] ?? .start
            sink.error("needs cycle: \(cycle.joined(separator: " → ")) → \(cycle[0])", at: location)
            try sink.check()
        }
    }

    private init(stages: [String], jobs: [PlannedJob], config: PipelineConfig) {
        self.stages = stages
        self.jobs = jobs
        self.config = config
    }

    /// Effective dependencies inside `selected`: explicit needs, or every selected job of an
    /// earlier stage.
    static func withDependencies(_ jobs: [PlannedJob], among selected: Set<String>) -> [PlannedJob] {
        jobs.map { job in
            var job = job
            if let needs = job.needs {
                job.dependencies = needs.filter(selected.contains)
            } else {
                job.dependencies = jobs.filter { $0.stageIndex < job.stageIndex && selected.contains($0.name) }.map(\.name)
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
        var selected = Set<String>()
        var pending = wanted
        while let name = pending.popLast() {
            guard selected.insert(name).inserted, let job = job(named: name) else { continue }
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
    /// A cycle in the effective dependency graph as the list of job names along it, or nil.
    static func find(in jobs: [PlannedJob]) -> [String]? {
        let index = Dictionary(uniqueKeysWithValues: jobs.enumerated().map { ($1.name, $0) })
        var state = [UInt8](repeating: 0, count: jobs.count)  // 0 new, 1 on the path, 2 done
        for start in jobs.indices where state[start] == 0 {
            var path: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = path.last {
                let edges = jobs[top.node].dependencies
                if top.next < edges.count {
                    path[path.count - 1].next += 1
                    guard let target = index[edges[top.next]] else { continue }
                    if state[target] == 1 {
                        let from = path.firstIndex { $0.node == target }!
                        return path[from...].map { jobs[$0.node].name }.reversed().rotatedToFront()
                    }
                    if state[target] == 0 {
                        state[target] = 1
                        path.append((target, 0))
                    }
                } else {
                    state[top.node] = 2
                    path.removeLast()
                }
            }
        }
        return nil
    }
}

extension Array where Element == String {
    /// The cycle read in "needs" order starting from its last element, so that `a → b` reads
    /// "a needs b".
    fileprivate func rotatedToFront() -> [String] {
        guard let last else { return self }
        return [last] + dropLast()
    }
}
