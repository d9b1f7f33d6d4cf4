import Pipeline
import Testing

// MARK: - Reading pipeline files the way gitci does

/// Parses `yaml` as `.gitci.yml`.
func parse(_ yaml: String) throws(ConfigError) -> PipelineConfig {
    try PipelineConfig.parse(Array(yaml.utf8))
}

/// Parses and plans `yaml`, as `gitci run` and the worker do.
func plan(_ yaml: String) throws(ConfigError) -> Plan {
    try Plan(parse(yaml))
}

/// What `gitci validate` prints for these bytes: one `.gitci.yml:LINE:COL: message` line per
/// problem found by parsing or planning, or nothing when the file is valid.
func problems(_ bytes: [UInt8], file: String = ".gitci.yml") -> [String] {
    do {
        _ = try Plan(PipelineConfig.parse(bytes, file: file), file: file)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

func problems(_ yaml: String, file: String = ".gitci.yml") -> [String] {
    problems(Array(yaml.utf8), file: file)
}

/// The name, then the dependencies, of every planned job: `["a <- ", "b <- a"]`.
func dependencyLines(_ plan: Plan) -> [String] {
    plan.jobs.map { "\($0.name) <- \($0.dependencies.joined(separator: ", "))" }
}

/// Runs `body` and fails the test when it took longer than `limit`: hostile input must be
/// refused quickly, not merely eventually.
func expectFast<T, E: Error>(within limit: Duration = .seconds(10), sourceLocation: Testing.SourceLocation = #_sourceLocation,
                             _ body: () throws(E) -> T) throws(E) -> T {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    #expect(elapsed < limit, "took \(elapsed)", sourceLocation: sourceLocation)
    return result
}

/// A step as one comparable line: `name | run | timeout`.
func describe(_ steps: [StepConfig]) -> [String] {
    steps.map { "\($0.name) | \($0.run) | \($0.timeout?.description ?? "-")" }
}

/// A repository as one comparable line: `url @ ref -> path`.
func describe(_ repos: [RepositorySpec]) -> [String] {
    repos.map { "\($0.url) @ \($0.ref) -> \($0.path)" }
}
