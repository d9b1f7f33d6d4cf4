import Foundation
import GitKit
import Pipeline

/// What a worker takes from the repository's git config, so that the worker a push starts
/// (which no one gives options to) can be set up too: `gitci.workerLinger`, `gitci.workerBuilds`.
extension Worker {
    public static let defaultLinger: Double = 30
    public static let defaultBuilds = 2

    /// Seconds to stay once idle; nil for ever.
    func lingerSeconds(_ repository: Repository) -> Double? {
        switch linger {
        case .forever: return nil
        case .seconds(let seconds): return max(0, seconds)
        case .configured: return Self.configuredLinger(repository, log: log)
        }
    }

    static func configuredLinger(_ repository: Repository, log: (String) -> Void) -> Double {
        guard let text = repository.configValue("gitci.workerLinger") else { return defaultLinger }
        if text.trimmingWhitespace() == "0" { return 0 }
        guard let seconds = Seconds.parse(text) else {
            log("gitci: worker: gitci.workerLinger '\(text.prefix(40))' is not a duration (like 0, 45, 2m); staying \(Int(defaultLinger))s")
            return defaultLinger
        }
        return Double(seconds.value)
    }

    /// Builds at once: `--builds`, else `gitci.workerBuilds` (1 to 64), else 2.
    func buildLimit(_ repository: Repository) -> Int {
        if let parallelBuilds { return parallelBuilds }
        guard let text = repository.configValue("gitci.workerBuilds") else { return Self.defaultBuilds }
        let trimmed = text.trimmingWhitespace()
        guard trimmed.allSatisfy(\.isASCII), let builds = Int(trimmed), (1...64).contains(builds) else {
            log("gitci: worker: gitci.workerBuilds '\(text.prefix(40))' is not a number from 1 to 64; running \(Self.defaultBuilds) builds at once")
            return Self.defaultBuilds
        }
        return builds
    }
}
