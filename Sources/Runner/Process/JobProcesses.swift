import Foundation
import Synchronization

/// Where a job's steps run: straight on this machine (`DirectProcesses`) or in a sandbox of the
/// job's own (`SandboxedJob`). JobExecutor runs every step through this one interface, and
/// knows nothing else of the difference.
///
/// One instance per job: background processes a step starts stay for the job's later steps,
/// and `end()` stops all of them.
protocol JobProcesses: Sendable {
    /// Starts `arguments` (the first an absolute path) in `directory`, in a process group of its
    /// own; stdin is /dev/null, stdout and stderr go to `outputDescriptor`. `environment` is the
    /// complete environment.
    func start(_ arguments: [String], environment: [String], directory: String,
               outputDescriptor: Int32) async throws(StepStartError) -> any StepProcess

    /// Stops everything the job's steps left running, and returns once it is gone.
    func end()
}

/// One running step.
protocol StepProcess: Sendable {
    /// The process group on this machine that observers are told about (the worker records it,
    /// so that a successor can stop what a killed worker left).
    var processGroup: Int32 { get }

    /// How the step's first process ended; does not wait for what it left in the background.
    func waitForExit() async -> ProcessTermination

    /// SIGTERM to the step's process group now, SIGKILL after `grace` seconds.
    func terminate(grace: Double)
}

/// Why a step could not start; the job fails with this as its reason.
struct StepStartError: Error, CustomStringConvertible {
    let description: String
}

extension ProcessGroup: StepProcess {
    var processGroup: Int32 { pid }
}

/// Steps as plain child processes of gitci, each leading its own process group.
final class DirectProcesses: JobProcesses {
    /// Step leaders stay zombies until the job ends, so that their groups (background processes
    /// a step left for later steps) can be killed safely at the end.
    private let groups = Mutex<[ProcessGroup]>([])

    func start(_ arguments: [String], environment: [String], directory: String,
               outputDescriptor: Int32) async throws(StepStartError) -> any StepProcess {
        let group: ProcessGroup
        do {
            group = try ProcessGroup.spawn(arguments, environment: environment, directory: directory,
                                           outputDescriptor: outputDescriptor)
        } catch {
            throw StepStartError(description: error.description)
        }
        groups.withLock { $0.append(group) }
        return group
    }

    func end() {
        groups.withLock { groups in
            groups.forEach { $0.reap() }
            groups.removeAll()
        }
    }
}
