public import GitKit
public import Pipeline
import Foundation
import Synchronization

/// Reads `.gitci.yml` at a commit (through libgit2, no checkout) or from a working tree, and
/// turns it into a plan.
public enum PipelineSource {
    public static let fileName = ".gitci.yml"

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case unreadable(String)
        case invalid(ConfigError)

        public var description: String {
            switch self {
            case .missing(let place): return "no \(PipelineSource.fileName) \(place); `gitci init` writes a starter"
            case .unreadable(let reason): return reason
            case .invalid(let error): return error.description
            }
        }
    }

    /// The pipeline file's bytes and blob id at `commit`.
    public static func read(at commit: ObjectID, in repository: Repository) throws(LoadError) -> (bytes: [UInt8], blob: ObjectID) {
        let found: (id: ObjectID, bytes: [UInt8])?
        do {
            found = try repository.blob(at: fileName, in: commit, limit: PipelineConfig.maximumFileSize * 64)
        } catch {
            throw .unreadable("cannot read \(fileName) at \(commit.short): \(error)")
        }
        guard let found else { throw .missing("in commit \(commit.short)") }
        return (found.bytes, found.id)
    }

    /// The bytes of pipeline file blob `blob` (`gitci rerun --same-repos` runs the configuration
    /// a build recorded, whatever the commit's file says now).
    public static func read(blob: ObjectID, in repository: Repository) throws(LoadError) -> (bytes: [UInt8], blob: ObjectID) {
        do {
            return (try repository.blob(blob, limit: PipelineConfig.maximumFileSize * 64), blob)
        } catch {
            throw .unreadable("cannot read the recorded \(fileName) (blob \(blob.short)): \(error.message)")
        }
    }

    /// The pipeline file's bytes and (would-be) blob id in a working tree.
    public static func read(inWorkingTree root: String) throws(LoadError) -> (bytes: [UInt8], blob: ObjectID) {
        let path = (root as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { throw .missing("in \(root)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("cannot read \(path)") }
        let bytes = [UInt8](data)
        return (bytes, ObjectID.blobID(of: bytes))
    }

    /// Parses and plans; every configuration problem comes back at once.
    public static func plan(_ bytes: [UInt8], blob: ObjectID? = nil) throws(LoadError) -> Plan {
        do {
            return try Plan(config(bytes, blob: blob), file: fileName)
        } catch {
            throw .invalid(error)
        }
    }

    /// The parsed file. A worker reads a push's pipeline to decide whether to build it and then
    /// again to run it: the second time comes from here, by blob id, which names the bytes.
    public static func config(_ bytes: [UInt8], blob: ObjectID?) throws(ConfigError) -> PipelineConfig {
        if let blob, let known = parsed.withLock({ $0.first { $0.blob == blob }?.config }) { return known }
        let config = try PipelineConfig.parse(bytes, file: fileName)
        if let blob {
            parsed.withLock { recent in
                recent.removeAll { $0.blob == blob }
                recent.insert((blob, config), at: 0)
                if recent.count > recentlyParsedLimit { recent.removeLast() }
            }
        }
        return config
    }

    private static let recentlyParsedLimit = 8
    private static let parsed = Mutex<[(blob: ObjectID, config: PipelineConfig)]>([])
}
