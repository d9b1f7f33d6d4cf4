import Foundation
import GitKit

/// `gitci-bench-notes checkout plain|workspace REPO COMMIT DIR`: one checkout of COMMIT into DIR
/// (which must not exist), printing its wall time in ms. `plain` is the tree alone, as job
/// workspaces were before they became git checkouts; `workspace` is what a job gets now
/// (Repository.makeWorkspace: a `.git` borrowing REPO's objects, tags, index). scripts/bench.py
/// runs the two in turns and compares them.
enum CheckoutBench {
    static func runIfAsked() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "checkout" else { return }
        guard arguments.count == 5, ["plain", "workspace"].contains(arguments[1]), let commit = ObjectID(hex: arguments[3]) else {
            FileHandle.standardError.write(Data("usage: gitci-bench-notes checkout plain|workspace REPO COMMIT DIR\n".utf8))
            exit(2)
        }
        do {
            let repository = try Repository.open(arguments[2])
            let start = ContinuousClock.now
            if arguments[1] == "plain" {
                try repository.checkout(commit, into: arguments[4])
            } else {
                try repository.makeWorkspace(of: commit, in: arguments[4], branch: "main")
            }
            print(format(milliseconds(ContinuousClock.now - start)))
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("gitci-bench-notes checkout: \(error)\n".utf8))
            exit(1)
        }
    }
}
