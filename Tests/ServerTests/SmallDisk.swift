import Foundation
import Testing
import TestSupport

/// A small file system (a tmpfs of a few megabytes) mounted over `mountPoint` in a mount
/// namespace of its own: only commands given to `run` see it, and nothing stays mounted when the
/// test ends or dies (the namespace goes with its last process). Made with util-linux's
/// `unshare` and entered with `nsenter`; as root directly, otherwise inside a user namespace.
final class SmallDisk {
    let mountPoint: String
    private let holder: Process
    private let asRoot = getuid() == 0

    init(at mountPoint: String, megabytes: Int) async throws {
        self.mountPoint = mountPoint
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = mountPoint + ".mounted"
        holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The holder keeps the namespace alive: the mount, then a sleep in the same process.
        holder.arguments = ["unshare"] + (asRoot ? [] : ["--user", "--map-root-user"]) + ["--mount", "--propagation", "private",
            "sh", "-c", #"mount -t tmpfs -o size="$1" gitci-test "$2" && touch "$3" && exec sleep 3600"#,
            "sh", "\(megabytes)m", mountPoint, mounted]
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        guard await Poll.untilExists(mounted) else {
            holder.terminate()
            throw FixtureError("cannot mount a tmpfs over \(mountPoint) in a private mount namespace (unshare)")
        }
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
            + (asRoot ? [] : ["--user", "--preserve-credentials"]) + ["--mount"]
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
