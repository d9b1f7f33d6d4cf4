import Foundation
import Pipeline
public import Store

/// Finds a job's `junit:` reports in its workspace after its steps and reads their cases.
///
/// Patterns select files as `artifacts:` does (ArtifactCollector: `**`, `!`, no symbolic link
/// to outside the workspace, no `..` or absolute pattern). Nothing here changes how the job
/// ended: a report that cannot be read (not XML, cut short, over JUnitReport.maximumSize), or
/// a pattern that matched nothing, is a warning in the log and in the job's result; failed
/// cases are the steps' business, whose exit status decides.
public enum JUnitCollector {
    public struct Outcome: Sendable {
        public var cases: [TestCase] = []
        /// For the job's result: what went wrong, one line each.
        public var warnings: [String] = []
        /// For the job's log (each becomes a `gitci: …` line): what was read and what went wrong.
        public var messages: [String] = []
    }

    public static func collect(_ patterns: [String], workspace: String) -> Outcome {
        var outcome = Outcome()
        func warn(_ text: String) {
            outcome.warnings.append(text)
            outcome.messages.append("warning: junit: \(text)")
        }
        var usable: [String] = []
        for pattern in patterns {
            let path = pattern.hasPrefix("!") ? String(pattern.dropFirst()) : pattern
            if path.hasPrefix("/") || path.split(separator: "/").contains("..") {
                warn("pattern '\(pattern)' leaves the workspace; ignored")
            } else {
                usable.append(pattern)
            }
        }
        let selection = InputPatterns(usable)
        let root = workspace.hasSuffix("/") ? String(workspace.dropLast()) : workspace
        let realRoot = ArtifactCollector.realPath(root) ?? root
        var found: [(name: String, file: String)] = []
        var walkMessages: [String] = []
        ArtifactCollector.walk(root, "", selection: selection, realRoot: realRoot, found: &found, messages: &walkMessages,
                               label: "junit")
        for message in walkMessages {
            let text = message.hasPrefix("junit: warning: ") ? String(message.dropFirst("junit: warning: ".count)) : message
            warn(text)
        }
        for include in selection.includes {
            let one = InputPatterns([include])
            guard !found.contains(where: { one.selects(file: $0.name) }) else { continue }
            warn("'\(include.isEmpty ? "." : include)' matched no report")
        }
        for (name, file) in found {
            switch read(file) {
            case .success(let cases):
                outcome.cases += cases
                outcome.messages.append("junit: read \(name): \(cases.count) test case(s)")
            case .failure(let failure):
                warn("\(name): \(failure.description); its results are not recorded")
            }
        }
        return outcome
    }

    /// The cases of one report; its size is checked before anything is read.
    public static func read(_ file: String) -> Result<[TestCase], JUnitReport.Failure> {
        var status = stat()
        guard stat(file, &status) == 0 else {
            return .failure(.init(description: "cannot read it (\(String(cString: strerror(errno))))"))
        }
        guard Int64(status.st_size) <= JUnitReport.maximumSize else {
            return .failure(.init(description: "\(status.st_size) bytes, over the \(JUnitReport.maximumSize / 1024 / 1024) MB a report may have"))
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return .failure(.init(description: "cannot read it"))
        }
        return Result { () throws(JUnitReport.Failure) in try JUnitReport.parse(data) }
    }
}
