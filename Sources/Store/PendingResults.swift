import GitKit
import HookIntake
import Foundation

/// Results that could not be written to `refs/notes/gitci` yet (a full disk, a notes ref that
/// points at no commit), kept in the state folder until a later write takes them up
/// (NotesWriter.append(_:in:message:pending:name:)). One file per run, one record per line:
/// the annotated commit's id, a space, and the note line exactly as it will be written.
/// Readers of the index see them meanwhile (ResultIndex.results(of:)).
public struct PendingResults: Sendable {
    public static let folderName = StateLayout.pendingResults
    static let suffix = ".results"

    public let folder: String

    public init(stateFolder: String) {
        folder = (stateFolder as NSString).appendingPathComponent(Self.folderName)
    }

    /// One file's records.
    struct Batch {
        let path: String
        let records: [(commit: ObjectID, record: NoteRecord)]
    }

    /// The path of the file `name`'s records are kept in.
    public func path(of name: String) -> String {
        (folder as NSString).appendingPathComponent(name + Self.suffix)
    }

    /// Keeps `records` under `name` (a run id), replacing what was kept under it: written aside,
    /// then renamed, so that a reader never finds half a file.
    func keep(_ records: [(commit: ObjectID, record: NoteRecord)], as name: String) throws(StoreError) {
        try keepText(records.map { "\($0.commit.hex) \($0.record.line())\n" }.joined(), at: path(of: name))
    }

    /// Writes `text` to `final`, aside first, then renamed.
    func keepText(_ text: String, at final: String) throws(StoreError) {
        let aside = final + ".\(getpid()).tmp"
        do {
            if mkdir(folder, 0o700) != 0, errno != EEXIST { throw Self.posixError(folder) }
            try Self.write(Array(text.utf8), to: aside)
            guard rename(aside, final) == 0 else { throw Self.posixError(final) }
        } catch {
            unlink(aside)
            throw StoreError("cannot keep the results in \(final) either (\(error))")
        }
    }

    /// Every kept file, oldest name first; lines that cannot be read are left out.
    func batches() -> [Batch] {
        fileNames(endingIn: Self.suffix).compactMap { name in
            let path = (folder as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return Batch(path: path, records: Self.parse(text))
        }
    }

    /// The records kept for `commit`, for readers of the index.
    public func records(of commit: String) -> [NoteRecord] {
        batches().flatMap { $0.records.filter { $0.commit.hex == commit }.map(\.record) }
    }

    /// How many files of results are waiting.
    public var count: Int {
        fileNames(endingIn: Self.suffix).count
    }

    /// The names of the kept files of one kind (`.results`, `.tests`), oldest first.
    func fileNames(endingIn suffix: String) -> [String] {
        // Nearly always missing: every build's write and every `gitci status` looks.
        guard access(folder, F_OK) == 0, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Holds the folder's lock (when it can be taken) while `body` runs: two writers taking up
    /// the same kept results would write them twice.
    func locked<T>(_ body: () -> T) -> T {
        let descriptor = open((folder as NSString).appendingPathComponent(".lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { if descriptor >= 0 { close(descriptor) } }
        if descriptor >= 0 { flock(descriptor, LOCK_EX) }
        return body()
    }

    private static func parse(_ text: String) -> [(commit: ObjectID, record: NoteRecord)] {
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { line in
            guard let space = line.firstIndex(of: " "), let commit = ObjectID(hex: String(line[..<space])),
                  let record = try? decoder.decode(NoteRecord.self, from: Data(line[line.index(after: space)...].utf8)) else { return nil }
            return (commit, record)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw posixError(path) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw posixError(path) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw posixError(path) }
    }

    private static func posixError(_ path: String) -> any Error {
        SystemFailure(path: path, reason: String(cString: strerror(errno)))
    }

    private struct SystemFailure: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "\(path): \(reason)" }
    }
}
