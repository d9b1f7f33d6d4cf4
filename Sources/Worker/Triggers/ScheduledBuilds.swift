import Foundation
import GitKit
import HookIntake
import Pipeline
import Runner
import Store

/// `schedules:` acting, in a worker that stays (`gitci worker` as a service, or hosted by
/// `gitci serve`): a build of a branch's tip at the times its pipeline names.
///
/// Which schedules: each branch's own `.gitci.yml`, read at its tip, and of its entries those
/// that name that branch. A file is most often the same on every branch, so an entry
/// `{cron: …, branch: release}` written on main acts once release has it too; a branch whose
/// file drops the entry stops, and a branch that is deleted takes its schedules with it.
///
/// When they fire is ScheduleBook's rule (first sight is a baseline; times missed while no
/// worker ran fire once), its book kept in the state folder (`schedules.json`). A scheduled
/// build is a build of the tip as `gitci trigger` queues one, with nothing reused: what a
/// nightly build is for is what changed outside the repository.
///
/// Whatever goes wrong (a file with errors, a deleted branch, a book that cannot be written)
/// is logged, naming the branch, and fires nothing; it never stops the worker.
struct ScheduledBuilds {
    let stateFolder: String
    let log: (String) -> Void

    /// Read from the state folder at the first look, then kept here: one worker, holding the
    /// lock, looks at a repository's schedules.
    private var book: ScheduleBook?
    /// Broken pipeline files said already (by blob), so that one is not logged every look.
    private var reported = Set<String>()
    /// When to look next (Unix seconds).
    private(set) var nextLook: Int64 = .min

    /// Pipeline files can change with every push: looked at this often at least, and at the
    /// time a schedule fires next when that comes sooner.
    static let interval: Int64 = 30

    init(stateFolder: String, log: @escaping (String) -> Void) {
        self.stateFolder = stateFolder
        self.log = log
    }

    var bookPath: String { StateLayout.path(StateLayout.schedules, in: stateFolder) }

    /// Looks when it is time to.
    mutating func lookIfDue(in repository: Repository, queue: BuildQueue, now: Int64) {
        guard now >= nextLook else { return }
        look(in: repository, queue: queue, now: now)
    }

    /// Reads every branch's schedules, queues the builds that are due, and records it.
    mutating func look(in repository: Repository, queue: BuildQueue, now: Int64) {
        var book = self.book ?? loadBook()
        let listed = schedules(in: repository, known: book)
        let before = book
        let outcome = book.advance(listed.schedules, unreadableBranches: listed.unreadable, now: now)
        for entry in outcome.forgotten where listed.tips[entry.branch] == nil {
            log("gitci: worker: schedules: branch '\(entry.branch)' no longer exists; its schedule \"\(entry.cron)\" stops")
        }
        for schedule in outcome.due {
            guard let tip = listed.tips[schedule.branch] else { continue }
            enqueue(schedule, at: tip, interruptible: listed.interruptible[schedule.branch] ?? false, in: queue)
        }
        if book != before { save(book) }
        self.book = book
        nextLook = min(now + Self.interval, outcome.next ?? .max)
    }

    /// The schedules of every branch (entries naming the branch itself, in its own file), the
    /// branches' tips, and the branches whose file could not be read.
    private mutating func schedules(in repository: Repository, known: ScheduleBook)
        -> (schedules: [Schedule], tips: [String: ObjectID], unreadable: Set<String>, interruptible: [String: Bool]) {
        var schedules: [Schedule] = []
        var tips: [String: ObjectID] = [:]
        var unreadable = Set<String>()
        var interruptible: [String: Bool] = [:]
        let scheduled = Set(known.entries.map(\.branch))
        for (branch, tip) in repository.branches() {
            tips[branch] = tip
            let file: (bytes: [UInt8], blob: ObjectID)
            do {
                file = try PipelineSource.read(at: tip, in: repository)
            } catch {
                if case .missing = error { continue }
                unreadable.insert(branch)
                report(branch, tip: tip, key: tip.hex, "\(error)")
                continue
            }
            do {
                let config = try PipelineSource.config(file.bytes, blob: file.blob)
                schedules += config.schedules.filter { $0.branch == branch }
                interruptible[branch] = config.interruptible
            } catch {
                unreadable.insert(branch)
                // Only a file that has (or had) schedules is worth a word: a broken file on a
                // branch without any is its push's business.
                guard scheduled.contains(branch) || Self.mentionsSchedules(file.bytes) else { continue }
                let first = error.diagnostics.first.map { ": \($0)" } ?? ""
                report(branch, tip: tip, key: file.blob.hex,
                       "\(PipelineSource.fileName) has errors\(first); its schedules do not fire until it is fixed")
            }
        }
        return (schedules, tips, unreadable, interruptible)
    }

    private static func mentionsSchedules(_ bytes: [UInt8]) -> Bool {
        let word = Array("schedules".utf8)
        guard bytes.count >= word.count else { return false }
        return (0...(bytes.count - word.count)).contains { bytes[$0..<($0 + word.count)].elementsEqual(word) }
    }

    private mutating func report(_ branch: String, tip: ObjectID, key: String, _ problem: String) {
        guard reported.insert(key).inserted else { return }
        log("gitci: worker: schedules: branch '\(branch)' at \(tip.hex.prefix(10)): \(problem)")
    }

    /// Queues a build of `tip`, unless one of it for the branch is queued already (a schedule
    /// that fires faster than the branch builds adds no pile of builds).
    private func enqueue(_ schedule: Schedule, at tip: ObjectID, interruptible: Bool, in queue: BuildQueue) {
        let branch = schedule.branch
        let reason = "schedule \"\(schedule.cron.description)\""
        do {
            let waiting = try queue.activeBuilds(of: tip.hex).contains { $0.branch == branch && $0.state == .queued }
            if waiting {
                log("gitci: worker: \(reason): a build of \(branch) at \(tip.hex.prefix(10)) is queued already")
                return
            }
            try queue.update { transaction in
                try transaction.activatePlan(branch, commit: tip.hex)
                try transaction.enqueue(commit: tip.hex, branch: branch, ref: BuildTarget.branchPrefix + branch,
                                        interruptible: interruptible, reason: reason, request: BuildRequest(noCache: true))
            }
            log("gitci: worker: queued a build of \(branch) at \(tip.hex.prefix(10)), \(reason)")
        } catch {
            log("gitci: worker: schedules: cannot queue the build of branch '\(branch)' (\(reason)): \(error)")
        }
    }

    // MARK: - The book in the state folder

    /// The file's content: `{"version": 1, "schedules": [{"branch", "cron", "last"}]}`, `last`
    /// in Unix seconds.
    struct BookFile: Codable {
        static let currentVersion = 1
        var version: Int
        var schedules: [ScheduleBook.Entry]
    }

    private func loadBook() -> ScheduleBook {
        guard let data = FileManager.default.contents(atPath: bookPath) else { return ScheduleBook() }
        guard let file = try? JSONDecoder().decode(BookFile.self, from: data), file.version == BookFile.currentVersion else {
            log("gitci: worker: schedules: cannot read \(bookPath); every schedule starts over from now")
            return ScheduleBook()
        }
        return ScheduleBook(entries: file.schedules)
    }

    /// Written whole, through a new file renamed over the old one: a crash leaves one or the other.
    private func save(_ book: ScheduleBook) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(BookFile(version: BookFile.currentVersion, schedules: book.entries))
            try data.write(to: URL(fileURLWithPath: bookPath), options: .atomic)
        } catch {
            log("gitci: worker: schedules: cannot write \(bookPath): \(error)")
        }
    }
}
