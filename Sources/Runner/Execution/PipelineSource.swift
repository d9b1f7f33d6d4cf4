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

    /// Parses and plans; every configuration problem comes back at once. `tox` reads the tox
    /// configuration (`readTox`), called only when a job says `from: tox`; without it such a job
    /// stays one job that runs `tox`.
    public static func plan(_ bytes: [UInt8], blob: ObjectID? = nil,
                            tox: (() throws(LoadError) -> ToxInput)? = nil) throws(LoadError) -> Plan {
        let parsed: PipelineConfig
        do {
            parsed = try config(bytes, blob: blob)
        } catch {
            throw .invalid(error)
        }
        let readsTox = parsed.jobs.contains { $0.from != nil }
        // Without tox the plan is the file's alone: an agent plans the same file for every job
        // of a build it takes, and a pipeline of hundreds of jobs costs milliseconds to plan.
        if !readsTox, let blob, let known = planned.withLock({ $0.first { $0.blob == blob }?.plan }) { return known }
        let toxInput = try tox.flatMap { read throws(LoadError) in readsTox ? try read() : nil } ?? .unread
        let plan: Plan
        do {
            plan = try Plan(parsed, file: fileName, tox: toxInput)
        } catch {
            throw .invalid(error)
        }
        if !readsTox, let blob {
            planned.withLock { recent in
                recent.removeAll { $0.blob == blob }
                recent.insert((blob, plan), at: 0)
                if recent.count > recentlyParsedLimit { recent.removeLast() }
            }
        }
        return plan
    }

    /// The first file tox would read at `commit` (ToxConfiguration.fileNames), through libgit2.
    public static func readTox(at commit: ObjectID, in repository: Repository) throws(LoadError) -> ToxInput {
        for name in ToxConfiguration.fileNames {
            let found: (id: ObjectID, bytes: [UInt8])?
            do {
                found = try repository.blob(at: name, in: commit, limit: PipelineConfig.maximumFileSize * 64)
            } catch {
                throw .unreadable("cannot read \(name) at \(commit.short): \(error)")
            }
            guard let found else { continue }
            if let input = toxInput(name, found.bytes) { return input }
        }
        return .absent
    }

    /// The first file tox would read in a working tree.
    public static func readTox(inWorkingTree root: String) throws(LoadError) -> ToxInput {
        for name in ToxConfiguration.fileNames {
            let path = (root as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("cannot read \(path)") }
            if let input = toxInput(name, [UInt8](data)) { return input }
        }
        return .absent
    }

    private static func toxInput(_ name: String, _ bytes: [UInt8]) -> ToxInput? {
        let text = String(decoding: bytes, as: UTF8.self)
        return ToxConfiguration.fileDeclaresTox(name, text: text) ? .file(name: name, text: text) : nil
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
    private static let planned = Mutex<[(blob: ObjectID, plan: Plan)]>([])
}
