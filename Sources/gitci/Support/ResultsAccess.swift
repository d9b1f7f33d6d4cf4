import HookIntake
import ArgumentParser
import Foundation
import GitKit
import Pipeline
import Runner
import Store
import Worker

/// Opens the repository a results command is about and its index, caught up with the notes.
/// Failures become the one-line messages and exit status 2 of the command-line contract.
struct ResultsAccess {
    let repository: Repository
    let index: ResultIndex

    /// `catchingUp: false` leaves the index as it is (for `gitci reindex`, which rebuilds it).
    init(path: String, catchingUp: Bool = true) throws {
        do {
            repository = try Repository.open(path, search: true)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
        do {
            index = try ResultIndex.open(stateFolder: StateFolder(gitCommonDirectory: repository.commonDirectory).path,
                                         repository: repository, catchingUp: catchingUp, report: Output.error)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    func resolve(_ revision: String) throws -> ObjectID {
        do {
            return try repository.resolveCommit(revision)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

// MARK: - The queue, for the server-side commands

extension ResultsAccess {
    var stateFolder: String { StateFolder(gitCommonDirectory: repository.commonDirectory).path }

    func openQueue() throws -> BuildQueue {
        do {
            return try BuildQueue.open(stateFolder: stateFolder)
        } catch {
            Output.error("gitci: \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// The queue, when gitci was installed here (no error otherwise: results may come from notes alone).
    var queueIfInstalled: BuildQueue? {
        FileManager.default.fileExists(atPath: (stateFolder as NSString).appendingPathComponent(BuildQueue.fileName))
            ? try? BuildQueue.open(stateFolder: stateFolder) : nil
    }

    /// Usage error unless the pipeline at `commit` has `job`.
    func checkJob(_ job: String, at commit: ObjectID) throws {
        do {
            let plan = try PipelineSource.plan(PipelineSource.read(at: commit, in: repository).bytes)
            _ = try plan.selecting([job])
        } catch {
            Output.error("gitci: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// Queues a build through `body` (which returns its id), says so, and makes sure a worker runs.
    func enqueue(in queue: BuildQueue, describing what: String, _ body: (QueueTransaction) throws -> Int64) throws {
        do {
            let id = try queue.update(body)
            print("gitci: queued build \(id) of \(what)")
        } catch {
            Output.error("gitci: cannot queue the build: \(error)")
            throw ExitCode(ExitStatus.failed)
        }
        startWorker()
    }

    func startWorker() {
        do {
            try WorkerLauncher.ensureRunning(gitDirectory: repository.commonDirectory, stateFolder: stateFolder)
        } catch {
            Output.error("gitci: \(error); run `gitci worker --once` in the repository")
        }
    }
}
