/// A `requires-python` range, read as precisely as choosing interpreters needs: at the level of
/// minor versions, since an interpreter is chosen by `3.12`, not by its patch release.
public struct PythonVersionRange: Sendable {
    struct Clause {
        let operation: String
        let version: [Int]
        let wildcard: Bool
    }

    let clauses: [Clause]

    /// Nil when the text is not a specifier set this reading knows: the caller then keeps every
    /// interpreter rather than guessing.
    public init?(_ text: String) {
        var clauses: [Clause] = []
        for part in text.split(separator: ",") {
            let specifier = String(part).trimmingWhitespace()
            guard let operation = ["===", "~=", "==", "!=", ">=", "<=", ">", "<"].first(where: { specifier.hasPrefix($0) }) else { return nil }
            var rest = String(specifier.dropFirst(operation.count)).trimmingWhitespace()
            let wildcard = rest.hasSuffix(".*")
            if wildcard { rest.removeLast(2) }
            let numbers = rest.split(separator: ".").map { Int($0) }
            guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else { return nil }
            clauses.append(Clause(operation: operation, version: numbers.compactMap { $0 }, wildcard: wildcard))
        }
        guard !clauses.isEmpty else { return nil }
        self.clauses = clauses
    }

    /// Whether some release of `major.minor` satisfies every clause.
    public func admits(_ minorVersion: String) -> Bool {
        let parts = minorVersion.split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return true }
        let candidate = [parts[0], parts[1]]
        return clauses.allSatisfy { clause in
            let bound = Array((clause.version + [0, 0]).prefix(2))
            let order = compare(candidate, bound)
            let patchGiven = clause.version.count > 2
            switch clause.operation {
            case ">=", ">": return clause.operation == ">" && !patchGiven ? order > 0 : order >= 0
            case "<": return order < 0 || (order == 0 && patchGiven && clause.version[2] > 0)
            case "<=": return order <= 0
            case "==", "===": return order == 0
            // `!=3.9` leaves out 3.9.0 only; `!=3.9.*` the whole minor version.
            case "!=": return !clause.wildcard || order != 0
            case "~=":
                // ~=3.9 means >=3.9,==3.*; ~=3.9.1 means >=3.9.1,==3.9.*.
                if clause.version.count <= 2 { return order >= 0 && candidate[0] == clause.version[0] }
                return order == 0
            default: return true
            }
        }
    }

    private func compare(_ left: [Int], _ right: [Int]) -> Int {
        for (a, b) in zip(left, right) where a != b { return a < b ? -1 : 1 }
        return 0
    }
}
