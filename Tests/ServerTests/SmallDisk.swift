import Foundation
import Testing
import TestSupport

/// A small file system (a tmpfs of a few megabytes) mounted over `mountPoint` in a mount
/// namespace of its own: only commands given to `run` see it, and nothing stays mounted when the
/// test ends or dies (the namespace goes with its last process). Made with util-linux's
/// `unshare` and entered with `nsenter` (util-linux is part of every Debian system); as root
/// directly, otherwise (or when root may not mount) inside a user namespace.
final class SmallDisk {
    let mountPoint: String
    private let holder: Process
    /// Whether the namespace lives in a user namespace of its own (not root, or root without
    /// the right to mount, as in some containers).
    private let inUserNamespace: Bool

    init(at mountPoint: String, megabytes: Int) async throws {
        self.mountPoint = mountPoint
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = mountPoint + ".mounted"
        var failures: [String] = []
        for userNamespace in getuid() == 0 ? [false, true] : [true] {
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            // The holder keeps the namespace alive: the mount, then a sleep in the same process.
            holder.arguments = ["unshare"] + (userNamespace ? ["--user", "--map-root-user"] : [])
                + ["--mount", "--propagation", "private",
                   "sh", "-c", #"mount -t tmpfs -o size="$1" gitci-test "$2" && touch "$3" && exec sleep 3600"#,
                   "sh", "\(megabytes)m", mountPoint, mounted]
            holder.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            holder.standardError = errors
            try holder.run()
            if await Poll.until(timeout: 30, { FileManager.default.fileExists(atPath: mounted) || !holder.isRunning }),
               FileManager.default.fileExists(atPath: mounted) {
                self.holder = holder
                self.inUserNamespace = userNamespace
                return
            }
            holder.terminate()
            _ = ProcessTable.waitForExit(of: holder, timeout: 30)
            failures.append(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        throw FixtureError("cannot mount a tmpfs over \(mountPoint) in a private mount namespace (unshare): \(failures)")
    }

    deinit {
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
    }

    /// Runs `arguments` inside the namespace, where the small file system is mounted, in
    /// `directory` (entering a mount namespace starts at its root otherwise).
    @discardableResult
    func run(_ arguments: [String], in directory: String? = nil) throws -> CommandResult {
        let enter = ["nsenter", "--target", String(holder.processIdentifier)]
            + (inUserNamespace ? ["--user", "--preserve-credentials"] : []) + ["--mount"]
            + (directory.map { ["--wd=\($0)"] } ?? []) + ["--"]
        return try Shell.run(enter + arguments, in: directory)
    }

    /// `run`, requiring success.
    @discardableResult
    func check(_ arguments: [String], in directory: String? = nil) throws -> String {
        let result = try run(arguments, in: directory)
        guard result.status == 0 else {
            throw FixtureError("\(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// Fills the file system to the last block: big writes, then small ones for what is left.
    func fill() throws {
        try run(["sh", "-c", #"for size in 1M 64k 4k 512 1; do dd if=/dev/zero of="$1/filler-$size" bs=$size 2>/dev/null; done; true"#,
                 "sh", mountPoint])
    }

    /// Frees what `fill` took.
    func free() throws {
        try check(["sh", "-c", #"rm -f "$1"/filler-*"#, "sh", mountPoint])
    }

    /// Bytes free on the small file system.
    func available() throws -> Int {
        Int(try check(["df", "--output=avail", "-B1", mountPoint]).split(separator: "\n").last?
            .trimmingCharacters(in: .whitespaces) ?? "") ?? -1
    }
}
