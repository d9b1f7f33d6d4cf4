import Foundation
import Pipeline
import Runner
import TestSupport

/// A real repository holding a pipeline, plus a folder outside it where jobs leave evidence
/// (`@SHARED@` in the pipeline text stands for that folder's path).
struct RunnerFixture {
    let repo: GitFixture
    let shared = TemporaryDirectory("gitci-shared")

    /// Writes `pipeline` as `.gitci.yml` next to `files` and commits them all (unless `commit`
    /// is false, when they stay untracked).
    init(pipeline: String, files: [String: String] = [:], commit: Bool = true) throws {
        repo = try GitFixture()
        var all = files
        all[".gitci.yml"] = pipeline.replacingOccurrences(of: "@SHARED@", with: shared.path)
        if commit {
            try repo.commit(all, message: "pipeline")
        } else {
            for (name, contents) in all { try repo.write(name, contents) }
        }
    }

    /// Plans and runs the pipeline in-process, the way `gitci run` does.
    func run(_ options: LocalRun.Options = LocalRun.Options(parallelism: 4)) async throws -> LocalRun.Report {
        let localRun = try LocalRun(directory: repo.path, options: options)
        return await localRun.run(observer: SilentObserver())
    }

    func sharedPath(_ name: String) -> String { shared.url(name) }

    func sharedFileExists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: shared.url(name))
    }

    /// A file the jobs wrote into the shared folder, without its trailing newline.
    func sharedText(_ name: String) throws -> String {
        var text = try String(contentsOfFile: shared.url(name), encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// The lines jobs appended to `@SHARED@/events` (`start NAME` / `end NAME`), in order.
    func events() throws -> [String] {
        try sharedText("events").split(separator: "\n").map(String.init)
    }
}

/// Shell snippets for pipeline steps. They record evidence in files; none relies on timing.
enum Step {
    /// Appends `start $GITCI_JOB` to the shared events file.
    static let start = #"echo "start $GITCI_JOB" >> @SHARED@/events"#
    /// Appends `end $GITCI_JOB` to the shared events file.
    static let end = #"echo "end $GITCI_JOB" >> @SHARED@/events"#

    /// Waits for `@SHARED@/NAME` to appear; fails the step (exit 9) after about a minute, so
    /// that a scheduling bug shows as a failed job rather than a hung test.
    static func waitFor(_ name: String) -> String {
        #"i=0; until [ -e @SHARED@/\#(name) ]; do i=$((i+1)); [ $i -lt 3000 ] || exit 9; sleep 0.02; done"#
    }
}

extension LocalRun.Report {
    /// The result of the job named `name`; a test failure (not a crash) when there is none.
    subscript(name: String) -> JobResult {
        jobs.first { $0.name == name } ?? JobResult(name: "missing: \(name)", stage: "", status: .queued)
    }
}

extension JobResult {
    /// The job's log as written.
    func log() throws -> String {
        guard let logPath else { throw FixtureError("job \(name) has no log") }
        return try String(contentsOfFile: logPath, encoding: .utf8)
    }
}

/// YAML single-quoted scalar: every character literal, `'` doubled.
func yamlQuoted(_ value: String) -> String {
    "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
}
