/// Expands a job's matrix into its combinations, GitHub-Actions style: the cross product of the
/// axes, minus every combination an `exclude` entry matches, plus `include` entries. An include
/// entry extends every remaining cross-product combination that agrees with all of its axis values
/// (so an entry without axis values extends them all); when it extends none, it is a combination
/// of its own.
enum MatrixExpansion {
    static let maximumJobs = 256

    static func combinations(_ matrix: MatrixConfig, job: String, file: String) -> Result<[[EnvironmentVariable]], ConfigDiagnostic> {
        func failure(_ message: String) -> Result<[[EnvironmentVariable]], ConfigDiagnostic> {
            .failure(ConfigDiagnostic(file: file, location: matrix.location, message: message))
        }
        if matrix.axes.isEmpty && matrix.include.isEmpty {
            if matrix.isIncomplete { return .success([]) }  // what is missing was reported where it was read
            return failure("the matrix of job '\(job)' has no axes: the matrix is empty")
        }
        if matrix.axes.contains(where: { $0.values.isEmpty }) {
            return .success([])  // reported where the empty axis was read
        }
        var product = 1
        for axis in matrix.axes {
            let (result, overflow) = product.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, result <= 65_536 else {
                return failure("the matrix of job '\(job)' has more than \(maximumJobs) combinations (the limit)")
            }
            product = result
        }
        var combinations: [[EnvironmentVariable]] = matrix.axes.isEmpty ? [] : [[]]
        for axis in matrix.axes {
            combinations = combinations.flatMap { partial in
                axis.values.map { partial + [EnvironmentVariable(name: axis.name.value, value: $0)] }
            }
        }
        let axisNames = Set(matrix.axes.map(\.name.value))
        combinations.removeAll { combination in
            matrix.exclude.contains { entry in
                entry.allSatisfy { pair in combination.contains { $0.name == pair.key && $0.value == pair.value } }
            }
        }
        let crossProduct = combinations.indices
        for entry in matrix.include {
            let axisPart = entry.filter { axisNames.contains($0.key) }
            let extraPart = entry.filter { !axisNames.contains($0.key) }
            let matching = crossProduct.filter { index in
                axisPart.allSatisfy { pair in combinations[index].contains { $0.name == pair.key && $0.value == pair.value } }
            }
            if !matching.isEmpty && !extraPart.isEmpty {
                for index in matching {
                    for pair in extraPart {
                        combinations[index].removeAll { $0.name == pair.key }
                        combinations[index].append(EnvironmentVariable(name: pair.key, value: pair.value))
                    }
                }
            } else if matching.isEmpty {
                combinations.append(entry.map { EnvironmentVariable(name: $0.key, value: $0.value) })
            }
        }
        if combinations.isEmpty {
            if matrix.isIncomplete { return .success([]) }
            return failure("every combination of the matrix of job '\(job)' is excluded: the matrix is empty")
        }
        if combinations.count > maximumJobs {
            return failure("the matrix of job '\(job)' has \(combinations.count) combinations; the limit is \(maximumJobs)")
        }
        return .success(combinations)
    }
}
