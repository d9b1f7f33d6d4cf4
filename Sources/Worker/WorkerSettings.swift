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
        if Self.trimmed(text) == "0" { return 0 }
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
        let trimmed = Self.trimmed(text)
        guard trimmed.allSatisfy(\.isASCII), let builds = Int(trimmed), (1...64).contains(builds) else {
            log("gitci: worker: gitci.workerBuilds '\(text.prefix(40))' is not a number from 1 to 64; running \(Self.defaultBuilds) builds at once")
            return Self.defaultBuilds
        }
        return builds
    }

    /// `text` without the blanks around it. Not Foundation's trimmingCharacters: its first call
    /// costs the worker a push starts ~0.2 ms of bridging to NSString.
    static func trimmed(_ text: String) -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let start = text.firstIndex { !blank($0) } ?? text.endIndex
        let end = text.lastIndex { !blank($0) }.map { text.index(after: $0) } ?? start
        return text[start..<end]
    }
}
