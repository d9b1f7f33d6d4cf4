import Foundation
import GitKit
import Hummingbird
import Runner
import Store
import Worker

/// Where the log of a commit's job is on this coordinator, and whether it may still grow: the
/// one answer the job page, its log's stream and search, and the text API share (as
/// `gitci logs` finds it).
///
/// A build of the commit under way has the last word: its job's log is in its run's folder
/// (`StateFolder.log(ofJob:run:)`, where local jobs and agents' streamed logs are written);
/// a job it has not started yet has no log, even when an older run of the commit recorded
/// one. Otherwise the log is the one the notes record.
struct JobLogLocator {
    struct Located {
        let commit: ObjectID
        let job: RunDocument.JobDocument
        /// nil when the job has no log here (not started, or the file is gone).
        let path: String?
        /// Queued or running: its log may still grow.
        let running: Bool

        var failed: Bool { JobStatus(rawValue: job.status) == .failed }

        var state: LogEventStream.JobState {
            LogEventStream.JobState(path: path, finished: !running, status: job.status)
        }
    }

    static func locate(_ opened: OpenedRepository, commit: ObjectID, job name: String) throws -> Located {
        let status: CommitStatus
        do {
            status = try CommitStatus(commit: commit, repository: opened.repository, index: opened.index, queue: opened.queue)
        } catch {
            throw HTTPError(.internalServerError, message: "cannot read the results of \(commit.short) in '\(opened.name)'")
        }
        let document = status.document(gitCommonDirectory: opened.repository.commonDirectory)
        guard let job = document.jobs.first(where: { $0.name == name }) else {
            throw HTTPError(.notFound, message: "no job named '\(name)' at \(commit.short) in the repository '\(opened.name)'")
        }
        let running = JobStatus(rawValue: job.status)?.isFinished == false
        var path: String?
        if let live = status.live, let runID = live.build.runID, let current = opened.stateFolder.log(ofJob: name, run: runID) {
            path = current
        } else if !running {
            path = job.log
        }
        if let found = path, !FileManager.default.fileExists(atPath: found) { path = nil }
        return Located(commit: commit, job: job, path: path, running: running)
    }
}
