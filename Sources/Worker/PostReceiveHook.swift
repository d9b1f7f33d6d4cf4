import HookIntake
import Foundation
import Store

/// What `gitci hook post-receive` does inside `git push`: record the ref updates durably,
/// make sure a worker is running, and get out of the way. It never fails the push, never
/// waits for a build, and touches neither libgit2 nor the pipeline file (that is the worker's
/// job), so that it costs the push a few milliseconds.
public enum PostReceiveHook {
    /// Runs the hook on `input` (the hook's standard input); every message is for the pusher.
    public static func run(input: String, gitDirectory: String, environment: [String: String],
                           say: (String) -> Void) {
        let stateFolder = StateLayout.folder(of: gitDirectory)
        let options = PushEvent.pushOptions { environment[$0] }
        var events: [PushEvent] = []
        for line in input.split(separator: "\n") where !line.isEmpty {
            do {
                events.append(try PushEvent.parse(line, options: options))
            } catch {
                say("gitci: ignoring a malformed hook line: \(error)")
            }
        }
        guard !events.isEmpty else { return }
        if options.contains("ci.skip") {
            say("gitci: ci.skip: plan branches updated, nothing built")
        }

        if let queueError = record(events, stateFolder: stateFolder, environment: environment) {
            do {
                try Spool.append(events, stateFolder: stateFolder)
                say("gitci: the queue is not usable (\(queueError)); the push was spooled and will be built")
            } catch {
                say("gitci: cannot queue this push for a build: \(queueError)")
                return
            }
        }
        do {
            try WorkerLauncher.ensureRunning(gitDirectory: gitDirectory, stateFolder: stateFolder)
        } catch {
            say(error.hookAdvice)
        }
    }

    /// Nil when the events are in the queue, or why not. When the lean hook already waited for
    /// a locked queue (FastPostReceive), the push is not held up as long again.
    static func record(_ events: [PushEvent], stateFolder: String, environment: [String: String]) -> String? {
        if environment[FastPostReceive.queueBusyVariable] == "1" {
            return "another process kept it locked for 2 s"
        }
        do {
            let queue = try BuildQueue.open(stateFolder: stateFolder, busyTimeout: 2, durable: true)
            try queue.record(events)
            return nil
        } catch {
            return error.message
        }
    }
}
