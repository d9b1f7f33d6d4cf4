import Glibc

/// The name of the push a hook runs for: the receive-pack process that runs both of a push's
/// hooks, as `<pid>-<start time>` (the start time, in clock ticks since boot, keeps a reused
/// pid from naming an older push). Nil when the parent cannot be read.
public enum ReceivingPush {
    /// Handed by gitci-hook to the `gitci hook post-receive` it runs as a child (with a hook
    /// chained after it), whose parent is then not receive-pack.
    public static let variable = "GITCI_PUSH"

    public static func current() -> String? {
        if let handed = getenv(variable).map({ String(cString: $0) }), isName(handed) { return handed }
        return named(by: getppid())
    }

    static func named(by pid: pid_t) -> String? {
        // The start time is field 22 of /proc/PID/stat.
        guard pid > 1, let fields = ProcessStat.fields(of: pid), fields.count > 19 else { return nil }
        let name = "\(pid)-\(fields[19])"
        return isName(name) ? name : nil
    }

    /// `<digits>-<digits>`: what `current` returns, and all a hint file may be named.
    public static func isName(_ text: some StringProtocol) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.count <= 20 && part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
    }
}

/// What the pre-receive hook tells the worker of a push git is about to accept: the branches
/// it moves, in `<state>/hints/<push>` (`<old> <new> <ref>` lines). The worker watches those
/// refs and starts a build the moment git moves one, instead of waiting for the post-receive
/// hook to queue the push: git updates the refs ~1 ms before it starts that hook, which takes
/// ~2 ms more to queue the push and nudge the worker. The post-receive hook still queues every
/// update; an update of a push the worker built from its hint is not built again.
///
/// Only plain pushes are hinted: branch updates without push options (which the post-receive
/// hook interprets), few enough for one small file.
public struct PushHint: Sendable, Equatable {
    public let push: String
    public let events: [PushEvent]

    public static let folderName = "hints"
    /// A read hint's file, which the worker leaves for the next push's hint (see write).
    static let spareName = ".spare"
    static let maximumEvents = 64
    static let maximumBytes = 65536

    public init(push: String, events: [PushEvent]) {
        self.push = push
        self.events = events
    }

    /// The hint for a pre-receive hook's `input`, or nil when the push is not one to hint.
    public static func forPush(_ input: [UInt8], push: String?, optionCount: Int) -> PushHint? {
        guard let push, optionCount == 0 else { return nil }
        var events: [PushEvent] = []
        for line in String(decoding: input, as: UTF8.self).split(separator: "\n") where !line.isEmpty {
            guard let event = try? PushEvent.parse(line, options: [], push: push) else { return nil }
            if event.ref.hasPrefix("refs/heads/"), !event.isDeletion { events.append(event) }
        }
        guard !events.isEmpty, events.count <= maximumEvents else { return nil }
        return PushHint(push: push, events: events)
    }

    public static func folder(in stateFolder: String) -> String {
        stateFolder + "/" + folderName
    }

    /// Writes the hint where the worker looks. Written aside and renamed, so that the worker
    /// never reads half a hint. False when it could not be written (the push is then built
    /// from the post-receive hook's record, as any other).
    public func write(in stateFolder: String) -> Bool {
        let text = Array(events.map { "\($0.old) \($0.new) \($0.ref)\n" }.joined().utf8)
        guard text.count <= Self.maximumBytes else { return false }
        let folder = Self.folder(in: stateFolder)
        if mkdir(folder, 0o755) != 0, errno != EEXIST { return false }
        let path = folder + "/" + push
        let temporary = path + ".tmp"
        // The last hint's file, when the worker left it: making a file is the slow part of this
        // inside a push on some file systems (ext4 here: ~0.2 ms, against ~0.02 ms a rename).
        _ = rename(folder + "/" + Self.spareName, temporary)
        // Written over, and cut to length only when the last hint was longer: emptying it
        // (O_TRUNC) would free its block, which a file system mounted with `discard` makes the
        // push wait for (see WorkerLock.record). Cutting within its first block frees nothing.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return false }
        let written = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        var status = stat()
        let cut = fstat(descriptor, &status) == 0 && (status.st_size <= text.count || ftruncate(descriptor, off_t(text.count)) == 0)
        close(descriptor)
        guard written == text.count, cut, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// Takes every hint waiting in `stateFolder` (removing the files, but for one kept for the
    /// next hint): the worker's side.
    /// Hints older than `staleAfter` seconds are removed unread: their pushes were refused, or
    /// were queued by the post-receive hook long ago. `unreadable`: files that were not hints.
    public static func takeAll(in stateFolder: String, staleAfter: Double = 30) -> (hints: [PushHint], unreadable: [String]) {
        let folder = folder(in: stateFolder)
        guard let directory = opendir(folder) else { return ([], []) }
        defer { closedir(directory) }
        var hints: [PushHint] = [], unreadable: [String] = []
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != "..", name != spareName else { continue }
            let path = folder + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            let age = Double(now.tv_sec - status.st_mtim.tv_sec)
            if name.hasSuffix(".tmp") {
                // A hook killed between writing and renaming left it.
                if age > staleAfter { unlink(path) }
                continue
            }
            guard age <= staleAfter else {
                unlink(path)
                continue
            }
            guard ReceivingPush.isName(name), status.st_mode & S_IFMT == S_IFREG, let hint = read(path, push: name) else {
                // Said once: what cannot be removed (a folder) is left alone, unreported.
                if unlink(path) == 0 { unreadable.append(path) }
                continue
            }
            // Kept as the next hint's file, unless one is kept already.
            if access(folder + "/" + spareName, F_OK) == 0 || rename(path, folder + "/" + spareName) != 0 { unlink(path) }
            hints.append(hint)
        }
        return (hints, unreadable)
    }

    private static func read(_ path: String, push: String) -> PushHint? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: maximumBytes + 1)
        var length = 0
        while length < buffer.count {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + length, $0.count - length) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            length += count
        }
        guard length < buffer.count else { return nil }
        return forPush(Array(buffer[0..<length]), push: push, optionCount: 0)
    }
}
