import Foundation

/// One of a few folders kept for the same cache key (`<folder>/slot-<n>`), held by a flock on
/// `<folder>/slot-<n>.lock` for as long as a job uses it: two jobs with one key running at once
/// take two slots, and never write into the folder the other one uses. The lock files and the
/// `slot-<n>.complete` marker sit beside the slot, where a sandboxed step (shown the slot only)
/// cannot reach them.
struct CacheSlot: Sendable {
    static let count = 4

    let path: String
    let lockDescriptor: Int32

    /// Whether a complete build of the slot was marked (`markComplete`).
    var isComplete: Bool { access(path + ".complete", F_OK) == 0 }

    func markComplete(_ text: String) -> Bool {
        FileManager.default.createFile(atPath: path + ".complete", contents: Data(text.utf8))
    }

    /// Forgets the marker before the slot is made again: a build that fails half way is never
    /// taken for a complete one.
    func clearComplete() {
        unlink(path + ".complete")
    }

    func release() {
        close(lockDescriptor)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The first slot of `folder` no other job holds, waiting for the first one when all are
    /// taken. Slots that were complete are preferred, so that a key is built once and not once
    /// per slot.
    /// `names`: the slots' names instead of `slot-0` … (one name: a lock of one holder).
    static func take(in folder: String, slots names: [String]? = nil) async throws(Failure) -> CacheSlot {
        guard WorkspaceRoot.makePrivateFolders(folder) else {
            throw Failure(description: "cannot make \(folder): \(String(cString: strerror(errno)))")
        }
        let slots = (names ?? (0..<count).map { "slot-\($0)" }).map { (folder as NSString).appendingPathComponent($0) }
        let ordered = slots.filter { access($0 + ".complete", F_OK) == 0 } + slots.filter { access($0 + ".complete", F_OK) != 0 }
        for path in ordered {
            let descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw Failure(description: "cannot open \(path).lock: \(String(cString: strerror(errno)))") }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return CacheSlot(path: path, lockDescriptor: descriptor) }
            close(descriptor)
        }
        // Waited for on a thread of its own: a blocked flock must not hold one of the few
        // threads Swift's tasks share (the job holding the slot needs them to finish).
        let path = ordered[0]
        let locked = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int32, Failure>, Never>) in
            Thread.detachNewThread {
                let descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    continuation.resume(returning: .failure(Failure(description: "cannot open \(path).lock: \(String(cString: strerror(errno)))")))
                    return
                }
                while flock(descriptor, LOCK_EX) != 0 {
                    guard errno == EINTR else {
                        close(descriptor)
                        continuation.resume(returning: .failure(Failure(description: "cannot lock \(path).lock: \(String(cString: strerror(errno)))")))
                        return
                    }
                }
                continuation.resume(returning: .success(descriptor))
            }
        }
        let descriptor = try locked.get()
        return CacheSlot(path: path, lockDescriptor: descriptor)
    }
}

// MARK: - Pruning

extension CacheSlot {
    /// How long a key's slots are kept without a job using them.
    static let unusedLifetime: TimeInterval = 14 * 86_400

    /// Marks the slot used now, for `prune`.
    func markUsed() {
        utimes(path + ".complete", nil)
    }

    /// Removes the key folders under `root` (`<root>/<scope>/<key>/`) whose slots no job used for
    /// `unusedLifetime` (their markers are older, or they have none), and scopes left empty: the
    /// keys of changed dependencies and of deleted branches. A key any job holds a slot of is
    /// left alone: every slot's lock is taken, without waiting, before the folder goes.
    static func modified(_ path: String) -> TimeInterval {
        var status = stat()
        guard stat(path, &status) == 0 else { return 0 }
        return TimeInterval(status.st_mtim.tv_sec)
    }

    static func prune(_ root: String, now: Date = Date(), lifetime: TimeInterval = unusedLifetime) {
        let files = FileManager.default
        let cutoff = now.timeIntervalSince1970 - lifetime
        for scope in (try? files.contentsOfDirectory(atPath: root)) ?? [] {
            let scopePath = (root as NSString).appendingPathComponent(scope)
            // As found, before its old keys go: one another job has just made is left alone.
            let scopeIsOld = Self.modified(scopePath) < cutoff
            for key in (try? files.contentsOfDirectory(atPath: scopePath)) ?? [] {
                let keyPath = (scopePath as NSString).appendingPathComponent(key)
                // A folder another job has just made, whose lock it has yet to take, is not old.
                guard Self.modified(keyPath) < cutoff else { continue }
                let names = (try? files.contentsOfDirectory(atPath: keyPath)) ?? []
                let lastUse = names.filter { $0.hasSuffix(".complete") }.compactMap { name -> TimeInterval? in
                    var status = stat()
                    guard stat((keyPath as NSString).appendingPathComponent(name), &status) == 0 else { return nil }
                    return TimeInterval(status.st_mtim.tv_sec)
                }.max() ?? 0
                guard lastUse < cutoff else { continue }
                var held: [Int32] = []
                defer { held.forEach { close($0) } }
                var free = true
                for lock in names where lock.hasSuffix(".lock") {
                    let descriptor = open((keyPath as NSString).appendingPathComponent(lock), O_RDWR | O_CLOEXEC)
                    guard descriptor >= 0 else { continue }
                    held.append(descriptor)
                    if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                        free = false
                        break
                    }
                }
                if free { try? files.removeItem(atPath: keyPath) }
            }
            if scopeIsOld { rmdir(scopePath) }  // only when empty
        }
    }
}
