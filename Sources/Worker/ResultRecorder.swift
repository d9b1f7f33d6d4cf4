import Foundation
import GitKit
import Store
import Synchronization

/// Records how builds ended: their notes first (with whatever earlier writes left pending), then
/// the index, then the build's end in the queue, so that a worker dying in between leaves a
/// build whose results a retry finds already written.
///
/// Nothing a build produced is dropped when a write fails. Notes that cannot be written (a full
/// disk, a notes ref that points at no commit) are kept in the state folder's pending results,
/// which the next write takes up. When even that cannot be written, or the queue cannot take
/// the build's end, the rest stays here and `retry()` tries again each round of the worker,
/// which does not leave while anything is held: the build stays running in the queue
/// meanwhile, so that a worker killed first leaves a build its successor runs again.
final class ResultRecorder: Sendable {
    /// What one build left to record.
    struct Entry: Sendable {
        let buildID: Int64
        let label: String
        /// Emptied once they are in the notes, or kept pending.
        var records: [(commit: ObjectID, record: NoteRecord)]
        let message: String
        /// The run id: the name its results are kept under when the notes cannot take them.
        let name: String
        let state: Build.State
        let result: String?
        let reason: String?
    }

    let gitDirectory: String
    let stateFolder: String
    let queue: BuildQueue
    let log: @Sendable (String) -> Void
    private let held = Mutex<[Entry]>([])
    /// When pending results were last offered to the notes, and why that failed.
    private let pendingTry = Mutex<(at: ContinuousClock.Instant, problem: String?)?>(nil)
    /// How often results kept pending are offered to the notes again while nothing else writes.
    static let pendingRetryInterval = 5.0

    init(gitDirectory: String, stateFolder: String, queue: BuildQueue, log: @escaping @Sendable (String) -> Void) {
        self.gitDirectory = gitDirectory
        self.stateFolder = stateFolder
        self.queue = queue
        self.log = log
    }

    var pending: PendingResults { PendingResults(stateFolder: stateFolder) }

    /// Whether a build's results or end are still waiting to be written.
    var isHolding: Bool { held.withLock { !$0.isEmpty } }

    func record(_ entry: Entry) {
        var entry = entry
        guard !write(&entry, firstTry: true) else { return }
        held.withLock { $0.append(entry) }
    }

    /// Tries again what could not be written before; now and then, also the results kept pending
    /// by this worker or an earlier one.
    func retry() {
        let entries = held.withLock { held in
            defer { held.removeAll() }
            return held
        }
        var still: [Entry] = []
        for var entry in entries where !write(&entry, firstTry: false) { still.append(entry) }
        held.withLock { $0.insert(contentsOf: still, at: 0) }
        let due = pendingTry.withLock { last in
            guard last.map({ ContinuousClock.now - $0.at >= .seconds(Self.pendingRetryInterval) }) ?? true else { return false }
            last = (.now, last?.problem)
            return true
        }
        if due, pending.count > 0 || pending.testsCount > 0 { takeUpPending() }
    }

    /// Writes what `entry` still holds; true when all of it is written.
    private func write(_ entry: inout Entry, firstTry: Bool) -> Bool {
        if !entry.records.isEmpty {
            guard let repository = try? Repository.open(gitDirectory) else { return false }
            switch NotesWriter.append(entry.records, in: repository, message: entry.message, pending: pending, name: entry.name) {
            case .written:
                break
            case .kept(let error, let file):
                log("gitci: worker: \(entry.label): \(error); kept them in \(file) until they can be written")
            case .unwritten(let error):
                if firstTry { log("gitci: worker: \(entry.label): \(error); holding them until they can be written") }
                return false
            }
            entry.records = []
            updateIndex(repository)
        }
        do {
            try queue.finish(entry.buildID, state: entry.state, result: entry.result, reason: entry.reason)
            if !firstTry { log("gitci: worker: \(entry.label): recorded now") }
            return true
        } catch {
            if firstTry { log("gitci: worker: cannot mark \(entry.label) done (\(error)); trying again") }
            return false
        }
    }

    private func takeUpPending() {
        guard let repository = try? Repository.open(gitDirectory) else { return }
        let count = pending.count
        if pending.testsCount > 0,
           case .written = TestNotes.append([], in: repository, message: "gitci: test cases kept while the notes could not be written",
                                            pending: pending, name: "") {
            log("gitci: worker: wrote the test cases kept in \(pending.folder) to \(TestNotes.ref)")
        }
        guard count > 0 else { return }
        switch NotesWriter.append([], in: repository, message: "gitci: results kept while the notes could not be written",
                                  pending: pending, name: "") {
        case .written:
            pendingTry.withLock { $0 = (.now, nil) }
            log("gitci: worker: wrote the results kept in \(pending.folder) (\(count) runs) to \(ResultIndex.notesRef)")
            updateIndex(repository)
        case .kept(let error, _), .unwritten(let error):
            // Said once per cause, not every few seconds.
            let repeated = pendingTry.withLock { last in
                defer { last = (.now, error.message) }
                return last?.problem == error.message
            }
            if !repeated { log("gitci: worker: \(count) runs' results wait in \(pending.folder): \(error)") }
        }
    }

    func updateIndex(_ repository: Repository) {
        do {
            _ = try ResultIndex.open(stateFolder: stateFolder, repository: repository, report: log)
        } catch {
            log("gitci: worker: the index was not updated (\(error)); it catches up on the next read")
        }
    }
}
