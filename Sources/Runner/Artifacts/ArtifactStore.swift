import Foundation
public import Store

/// The state folder's artifact store: each file's content once, under `ab/cdef…` (its SHA-256
/// in hex, fanned out by the first two digits), whatever its name and however many jobs kept it.
///
/// Files go through in fixed-size chunks, hashed while they are copied to a temporary file in
/// the store itself and then renamed into place: a file of any size costs one chunk of memory,
/// and a reader never sees a partly written object.
public struct ArtifactStore: Sendable {
    public let path: String

    static let chunkSize = 1 << 20

    public init(path: String) {
        self.path = path
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Where the content whose SHA-256 is `sha256` is kept; nil for a name that is not 64 hex
    /// digits (a hand-edited note must not name a path outside the store).
    public func objectPath(_ sha256: String) -> String? {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return path + "/" + sha256.prefix(2) + "/" + sha256.dropFirst(2)
    }

    public func contains(_ sha256: String) -> Bool {
        objectPath(sha256).map { access($0, F_OK) == 0 } ?? false
    }

    /// Stores the regular file at `file` and returns its size and SHA-256.
    public func store(file: String) throws(Failure) -> (size: Int64, sha256: String) {
        let input = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw Failure(description: "cannot read \(file): \(Self.lastError())") }
        defer { close(input) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw Failure(description: "cannot create the artifact store \(path): \(Self.lastError())")
        }
        var template = Array((path + "/.incoming-XXXXXX").utf8CString)
        let output = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard output >= 0 else { throw Failure(description: "cannot write in the artifact store \(path): \(Self.lastError())") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var keep = false
        defer { if !keep { unlink(temporary) } }
        var hasher: SHA256Hasher? = SHA256Hasher()
        let size: Int64
        do {
            size = try Self.copy(from: input, to: output, source: file, destination: temporary, hasher: &hasher)
            fchmod(output, 0o444)
            close(output)
        } catch {
            close(output)
            throw error
        }
        let sha256 = hasher!.finalize()
        let object = objectPath(sha256)!
        // Already stored: the same content, by its hash.
        if access(object, F_OK) == 0 { return (size, sha256) }
        let folder = path + "/" + sha256.prefix(2)
        guard mkdir(folder, 0o755) == 0 || errno == EEXIST, rename(temporary, object) == 0 else {
            throw Failure(description: "cannot store \(file) as \(object): \(Self.lastError())")
        }
        keep = true
        return (size, sha256)
    }

    /// Copies the stored `artifact` to `folder/<its name>`, making the folders its name holds.
    /// A name that is absolute or climbs with `..` is refused: names come from notes, which
    /// anyone with push access to the notes can write.
    public func restore(_ artifact: NoteRecord.Artifact, into folder: String) throws(Failure) {
        guard let name = ArtifactPaths.safeName(artifact.name) else {
            throw Failure(description: "refusing the artifact name '\(artifact.name)': it leaves the destination folder")
        }
        guard let object = objectPath(artifact.sha256) else {
            throw Failure(description: "artifact '\(artifact.name)' has no valid SHA-256 ('\(artifact.sha256)')")
        }
        let input = open(object, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw Failure(description: "artifact '\(artifact.name)' (\(artifact.sha256.prefix(12))) is not in the store \(path): \(Self.lastError())")
        }
        defer { close(input) }
        let destination = folder + "/" + name
        let parent = (destination as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(parent): \((error as NSError).localizedDescription)")
        }
        // A file (or link) of that name is replaced, never written through.
        unlink(destination)
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard output >= 0 else { throw Failure(description: "cannot write \(destination): \(Self.lastError())") }
        defer { close(output) }
        var unused: SHA256Hasher? = nil
        _ = try Self.copy(from: input, to: output, source: object, destination: destination, hasher: &unused)
    }

    /// Copies everything from `input` to `output` in chunks, hashing on the way; the bytes copied.
    static func copy(from input: Int32, to output: Int32, source: String, destination: String,
                     hasher: inout SHA256Hasher?) throws(Failure) -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = read(input, buffer.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(source): \(lastError())")
            }
            if count == 0 { return total }
            hasher?.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            var written = 0
            while written < count {
                let result = write(output, buffer.baseAddress! + written, count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "cannot write \(destination): \(lastError())")
                }
                written += result
            }
            total += Int64(count)
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
