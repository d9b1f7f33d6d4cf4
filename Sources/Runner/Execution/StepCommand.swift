import Foundation
import Pipeline

/// The argument vector that runs a step's text: the same in the sandbox and out of it, and
/// never built by splicing the text into other text.
enum StepCommand {
    /// Where bash is, looked for once: it is where it is for the whole life of the process.
    static let bash: String? = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `shell` nil: the default, bash with pipefail where there is a bash, else sh.
    static func arguments(_ text: String, shell: StepShell?, environment: [String: String]) -> [String] {
        switch shell {
        case nil:
            if let bash { return [bash, "-e", "-o", "pipefail", "-c", text] }
            return ["/bin/sh", "-e", "-c", text]
        case .sh:
            return ["/bin/sh", "-e", "-c", text]
        case .bash:
            // Missing, the start fails and names the program.
            return [bash ?? "/bin/bash", "-e", "-o", "pipefail", "-c", text]
        case .python3:
            return [program("python3", path: environment["PATH"]) ?? "/usr/bin/python3", "-c", text]
        }
    }

    /// The first executable `name` in the folders of `path`, as a shell would find it.
    static func program(_ name: String, path: String?) -> String? {
        for folder in (path ?? "").split(separator: ":") where folder.hasPrefix("/") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
