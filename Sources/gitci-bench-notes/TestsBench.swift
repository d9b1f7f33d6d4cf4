import Foundation
import GitKit
import Runner
import Store

/// `gitci-bench-notes tests REPO REPORT STATE`: what recording a job's JUnit report costs gitci,
/// in one process as a run does it after the job: read and parse REPORT, write its cases to
/// refs/notes/gitci-tests of the bare repository REPO, and bring the index in STATE up to date.
/// 7 rounds, each on another commit (made-up ids: a notes tree does not need the objects);
/// prints the median of each part and of the whole, in ms, as `parse write index total decode`
/// (decode: the index's reading of the lines, a part of `index`).
/// scripts/bench.py judges the total for a report of 10,000 cases.
enum TestsBench {
    static func runIfAsked() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "tests" else { return }
        guard arguments.count == 4 else {
            FileHandle.standardError.write(Data("usage: gitci-bench-notes tests REPO REPORT STATE\n".utf8))
            exit(2)
        }
        do {
            let repository = try Repository.open(arguments[1])
            // Opened (and migrated) once, as the index exists in a repository that records results.
            let index = try ResultIndex.open(stateFolder: arguments[3], repository: repository)
            var samples: [[Double]] = []
            for round in 0..<7 {
                let commit = ObjectID.blobID(of: Array("bench tests commit \(round)".utf8))
                let start = ContinuousClock.now
                guard case .success(let cases) = JUnitCollector.read(arguments[2]) else {
                    FileHandle.standardError.write(Data("gitci-bench-notes tests: cannot read \(arguments[2])\n".utf8))
                    exit(1)
                }
                let parsed = ContinuousClock.now
                let run = TestNotes.Run(commit: commit, job: "test (python=3.12)", pipeline: "bench-\(round)",
                                        started: Timestamp.format(Date()), cases: cases)
                try TestNotes.append([run], in: repository, message: "bench")
                let written = ContinuousClock.now
                try index.catchUp(repository)
                let indexed = ContinuousClock.now
                // Of the index's share: reading the note's lines back (the rest is SQLite).
                let text = try repository.note(for: commit, ref: TestNotes.ref) ?? ""
                let decodeStart = ContinuousClock.now
                let decoded = TestCaseLine.parse(bytes: Array(text.utf8))
                guard decoded.lines.count == cases.count else { exit(1) }
                samples.append([milliseconds(parsed - start), milliseconds(written - parsed), milliseconds(indexed - written),
                                milliseconds(indexed - start), milliseconds(ContinuousClock.now - decodeStart)])
            }
            let medians = (0..<5).map { part in samples.map { $0[part] }.sorted()[samples.count / 2] }
            print(medians.map(format).joined(separator: " "))
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("gitci-bench-notes tests: \(error)\n".utf8))
            exit(1)
        }
    }
}
