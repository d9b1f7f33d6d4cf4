import Foundation
import Runner

/// Results of finished jobs kept on the agent's disk until the coordinator has them: an agent
/// that loses the coordinator, or is restarted, delivers them when it can (within the job's
/// lease the attempt stands; after it, the coordinator refuses them and they are dropped).
struct ResultSpool: Sendable {
    let home: String

    struct Entry: Codable, Sendable {
        var claimed: AgentAPI.ClaimedJob
        var result: JobResult
        /// The job's log on this agent, the rest of which goes before the result.
        var logPath: String?
        var artifactStore: String?
    }

    var folder: String { (home as NSString).appendingPathComponent("spool") }

    /// Writes the entry (atomically); returns its file, or nil when it cannot be kept (the
    /// result is still sent, only not kept across a restart of the agent).
    func keep(_ entry: Entry) -> String? {
        let file = (folder as NSString).appendingPathComponent("\(entry.claimed.id)-\(entry.claimed.attempt).json")
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try JSONEncoder().encode(entry).write(to: URL(fileURLWithPath: file), options: .atomic)
            return file
        } catch {
            return nil
        }
    }

    /// What earlier runs of the agent left undelivered, with their files; unreadable files are
    /// dropped.
    func entries() -> [(file: String, entry: Entry)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let file = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file),
                  let entry = try? JSONDecoder().decode(Entry.self, from: data) else {
                unlink(file)
                return nil
            }
            return (file, entry)
        }
    }
}
