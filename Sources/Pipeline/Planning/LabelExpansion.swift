/// `labels:` that name matrix values: with `matrix: {os: [linux, macos]}`, `labels: ["${os}"]`
/// gives `build (os=linux)` the label `linux`, so that one job covers several platforms.
///
/// The syntax is `env:`'s (EnvironmentExpansion): `${NAME}` and `$NAME`, `$$` for a `$`. Only
/// the job's matrix values (its combination, `include:` keys too) can be named: a label is
/// decided when the pipeline is planned, before any node or environment exists, so a name the
/// combination has no value for is a configuration error rather than an empty label.
enum LabelExpansion {
    /// The job's labels for one combination of its matrix. Problems go to `sink` once per label
    /// as written (`reported` remembers which, by index, across the job's combinations).
    /// `matrixNames`: every name any combination of the job has, to tell a misspelt axis from
    /// one this combination lacks.
    static func labels(of job: JobConfig, plannedName: String, combination: [EnvironmentVariable],
                       matrixNames: [String], sink: inout DiagnosticSink, reported: inout Set<Int>) -> [String] {
        var labels: [String] = []
        labels.reserveCapacity(job.labels.count)
        for (index, written) in job.labels.enumerated() {
            let location = index < job.labelLocations.count ? job.labelLocations[index] : job.name.location
            var missing: [String] = []
            let expanded = EnvironmentExpansion.expand(written) { name in
                if let value = combination.last(where: { $0.name == name })?.value { return value }
                missing.append(name)
                return nil
            }
            labels.append(expanded)
            guard !reported.contains(index) else { continue }
            let what = "label '\(NodeReader.truncated(written))' of job '\(NodeReader.truncated(job.name.value))'"
            if let name = missing.first {
                reported.insert(index)
                sink.error(unknownName(name, what: what, plannedName: plannedName, matrixNames: matrixNames), at: location)
            } else if let problem = problem(expanded) {
                reported.insert(index)
                let value = expanded == written ? "" : " is '\(NodeReader.truncated(expanded))' for '\(NodeReader.truncated(plannedName))'"
                sink.error("\(what)\(value): \(problem)", at: location)
            }
        }
        return labels
    }

    /// Why `label` cannot be a node's label: agents give theirs as `--labels a,b`, so a comma or
    /// a space could never match, and an empty one would match nothing.
    static func problem(_ label: String) -> String? {
        if label.isEmpty { return "a label must not be empty" }
        if label.contains(where: { $0 == "," || $0.isWhitespace }) { return "a label must not contain spaces or commas" }
        return nil
    }

    private static func unknownName(_ name: String, what: String, plannedName: String, matrixNames: [String]) -> String {
        if matrixNames.isEmpty {
            return "\(what) names '\(NodeReader.truncated(name))', but the job has no matrix: labels can only name matrix values"
        }
        if matrixNames.contains(name) {
            return "\(what) names '\(NodeReader.truncated(name))', which '\(NodeReader.truncated(plannedName))' has no value for"
        }
        var message = "\(what) names '\(NodeReader.truncated(name))', which is not a matrix value of the job (\(matrixNames.joined(separator: ", ")))"
        if let suggestion = Suggestion.closest(to: name, among: matrixNames) { message += "; did you mean '\(suggestion)'?" }
        return message
    }
}
