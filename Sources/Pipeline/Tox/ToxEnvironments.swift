/// What planning knows of the project's tox configuration: `from: tox` jobs become one job per
/// environment of its `env_list`.
public enum ToxInput: Sendable {
    /// Not read (`gitci validate` of a file alone, parse-time checks): a `from: tox` job stays one
    /// job that runs `tox`.
    case unread
    /// Looked for: the commit (or working tree) has none of the files tox reads.
    case absent
    /// The file tox would read (`ToxConfiguration.fileNames`) and its text.
    case file(name: String, text: String)
}

/// The environments of the tox input, read once per plan however many jobs say `from: tox`.
struct ToxEnvironments {
    /// Each job of a `from: tox` job finds its environment's name here.
    static let variable = "GITCI_TOX_ENV"

    private let input: ToxInput
    private var read: Result<[String], ToxConfiguration.Error>?

    init(_ input: ToxInput) {
        self.input = input
    }

    /// The environments `job` expands to; `[nil]` (one job) when the tox input was not read or
    /// could not be used, which is then reported in `sink`.
    mutating func names(for job: JobConfig, sink: inout DiagnosticSink) -> [String?] {
        let location = job.from?.location ?? job.name.location
        let what = "job '\(job.name.value)' has `from: tox`"
        switch input {
        case .unread:
            return [nil]
        case .absent:
            sink.error("\(what), but there is no tox configuration (tox.ini, setup.cfg with [tox:tox], pyproject.toml with [tool.tox], or tox.toml)", at: location)
            return [nil]
        case .file(let file, let text):
            if read == nil {
                read = Result { () throws(ToxConfiguration.Error) in try ToxConfiguration.parse(text, file: file).environments }
            }
            switch read! {
            case .success(let names) where names.isEmpty:
                sink.error("\(what), but \(file) lists no environments (env_list)", at: location)
                return [nil]
            case .success(let names):
                if let unusable = names.first(where: { $0.trimmingWhitespace().isEmpty || JobName.problem($0) != nil }) {
                    sink.error("\(what), but \(file) names an environment '\(NodeReader.truncated(unusable))' that cannot be part of a job name", at: location)
                    return [nil]
                }
                return names
            case .failure(let error):
                sink.error("\(what), but \(error.description)", at: location)
                return [nil]
            }
        }
    }
}
