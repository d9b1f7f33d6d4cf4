public import GitKit
public import Pipeline
import Foundation

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

    /// The pipeline file's bytes and (would-be) blob id in a working tree.
    public static func read(inWorkingTree root: String) throws(LoadError) -> (bytes: [UInt8], blob: ObjectID) {
        let path = (root as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { throw .missing("in \(root)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("cannot read \(path)") }
        let bytes = [UInt8](data)
        return (bytes, ObjectID.blobID(of: bytes))
    }

    /// Parses and plans; every configuration problem comes back at once.
    public static func plan(_ bytes: [UInt8]) throws(LoadError) -> Plan {
        do {
            let config = try PipelineConfig.parse(bytes, file: fileName)
            return try Plan(config, file: fileName)
        } catch {
            throw .invalid(error)
        }
    }
}
