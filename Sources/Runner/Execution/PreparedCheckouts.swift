import Foundation
public import GitKit
import Synchronization

/// Checkouts a worker starts the moment git has moved a pushed branch (PushHint), before the
/// push is queued and its build claimed: the build's first job takes the checked-out folder by
/// renaming it (WorkspaceSource.prepare). The queue's transaction and the run's set-up then no
/// longer come before the checkout on the way to the first step, but beside it.
public enum PreparedCheckouts {
    final class Checkout: Sendable {
        let folder: String
        let finished = DispatchSemaphore(value: 0)
        let succeeded = Atomic<Bool>(false)

        init(folder: String) {
            self.folder = folder
        }
    }

    struct Key: Hashable {
        let gitDirectory: String
        let commit: ObjectID
    }

    private static let started = Mutex<[Key: Checkout]>([:])
    static let folderPrefix = ".prepared-"

    /// Starts checking out `commit` of the repository at `gitDirectory` into a folder of the
    /// state folder's workspaces, on a thread of its own, unless it is under way already.
    public static func start(_ commit: ObjectID, gitDirectory: String) {
        let workspaces = StateFolder(gitCommonDirectory: gitDirectory).workspaces
        let checkout = Checkout(folder: workspaces + "/" + folderPrefix + commit.hex)
        let key = Key(gitDirectory: gitDirectory, commit: commit)
        let isNew = started.withLock { checkouts in
            guard checkouts[key] == nil else { return false }
            checkouts[key] = checkout
            return true
        }
        guard isNew else { return }
        DispatchQueue.global(qos: .userInitiated).async {
            defer { checkout.finished.signal() }
            // What a worker that died left there may be half a checkout.
            removeIfPresent(checkout.folder)
            // libgit2 makes the checkout's folder, not its parents.
            mkdir(workspaces, 0o777)
            do {
                // A Repository of its own: libgit2 handles are not shared between threads.
                let repository = try Repository.open(gitDirectory)
                try repository.checkout(commit, into: checkout.folder)
                checkout.succeeded.store(true, ordering: .releasing)
            } catch {
                removeIfPresent(checkout.folder)
            }
        }
    }

    /// Moves the checkout of `commit` started ahead to `directory` (which must not exist),
    /// once it has finished. False when none was started, or it failed: the caller checks out.
    static func take(_ commit: ObjectID, gitDirectory: String, as directory: String) -> Bool {
        let key = Key(gitDirectory: gitDirectory, commit: commit)
        guard let checkout = started.withLock({ $0.removeValue(forKey: key) }) else { return false }
        checkout.finished.wait()
        guard checkout.succeeded.load(ordering: .acquiring), rename(checkout.folder, directory) == 0 else {
            removeIfPresent(checkout.folder)
            return false
        }
        return true
    }

    /// Removes the checkouts no build took (their pushes built nothing, or were built from
    /// another record), and, with `strays`, folders of checkouts that earlier workers left.
    public static func discardUntaken(gitDirectory: String, strays: Bool) {
        let untaken = started.withLock { checkouts in
            let mine = checkouts.filter { $0.key.gitDirectory == gitDirectory }
            for key in mine.keys { checkouts[key] = nil }
            return Array(mine.values)
        }
        for checkout in untaken {
            checkout.finished.wait()
            removeIfPresent(checkout.folder)
        }
        guard strays else { return }
        let workspaces = StateFolder(gitCommonDirectory: gitDirectory).workspaces
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workspaces)) ?? []
        for name in names where name.hasPrefix(folderPrefix) {
            removeIfPresent(workspaces + "/" + name)
        }
    }

    private static func removeIfPresent(_ folder: String) {
        var status = stat()
        if lstat(folder, &status) == 0 { try? FileManager.default.removeItem(atPath: folder) }
    }
}
