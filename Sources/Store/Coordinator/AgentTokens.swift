import Crypto
public import Foundation
import GRDB

/// The tokens build agents present to the coordinator (`gitci-agent-<id>-<secret>`) and people
/// present to its web UI (`gitci-user-<id>-<secret>`), printed once when made. The id finds the
/// token's row; only SHA-256 of the secret is kept, and the presented secret's hash is compared
/// with it in constant time, so neither a copy of the store nor the time an answer takes gives a
/// token away. The two kinds live in separate tables: an agent's token never signs a person in,
/// nor a person's token claims jobs.
extension CoordinatorStore {
    public enum TokenKind: Sendable {
        case agent, user

        var table: String { self == .agent ? "agent_tokens" : "user_tokens" }
        var prefix: String { self == .agent ? "gitci-agent-" : "gitci-user-" }
        var command: String { self == .agent ? "gitci agent-token" : "gitci token" }
        var noun: String { self == .agent ? "an agent" : "a user" }
    }

    public struct AgentToken: Sendable, Hashable {
        public let name: String
        public let created: Date
        public let revoked: Date?
        public let lastUsed: Date?
    }

    static let tokenPrefix = TokenKind.agent.prefix

    /// Makes a token for `name` and returns it: the only time it is ever shown.
    public func createAgentToken(name: String) throws(StoreError) -> String { try createToken(.agent, name: name) }
    public func agentTokens() throws(StoreError) -> [AgentToken] { try tokens(.agent) }
    /// Revokes `name`'s token; false when there is none (or it was revoked already).
    @discardableResult
    public func revokeAgentToken(name: String) throws(StoreError) -> Bool { try revokeToken(.agent, name: name) }
    /// The name of the agent whose valid (unrevoked) token `presented` is, or nil.
    public func authenticateAgent(_ presented: String) throws(StoreError) -> String? { try authenticate(.agent, presented) }

    public func createToken(_ kind: TokenKind, name: String) throws(StoreError) -> String {
        if let problem = Self.nameProblem(name) { throw StoreError(problem) }
        let id = Self.randomHex(bytes: 6)
        let secret = Self.randomHex(bytes: 32)
        let hash = Data(SHA256.hash(data: Data(secret.utf8)))
        try write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT revoked FROM \(kind.table) WHERE name = ?", arguments: [name]) {
                guard existing["revoked"] as Double? != nil else {
                    throw StoreError("\(kind.noun) token named '\(name)' exists; revoke it first (`\(kind.command) revoke \(name)`)")
                }
                try db.execute(sql: "DELETE FROM \(kind.table) WHERE name = ?", arguments: [name])
            }
            try db.execute(sql: "INSERT INTO \(kind.table) (name, id, secret_hash, created) VALUES (?, ?, ?, ?)",
                           arguments: [name, id, hash, Date().timeIntervalSince1970])
        }
        syncToDisk()
        return kind.prefix + id + "-" + secret
    }

    public func tokens(_ kind: TokenKind) throws(StoreError) -> [AgentToken] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, created, revoked, last_used FROM \(kind.table) ORDER BY name").map { row in
                AgentToken(name: row["name"], created: Date(timeIntervalSince1970: row["created"]),
                           revoked: (row["revoked"] as Double?).map(Date.init(timeIntervalSince1970:)),
                           lastUsed: (row["last_used"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    @discardableResult
    public func revokeToken(_ kind: TokenKind, name: String) throws(StoreError) -> Bool {
        let revoked = try write { db in
            try db.execute(sql: "UPDATE \(kind.table) SET revoked = ? WHERE name = ? AND revoked IS NULL",
                           arguments: [Date().timeIntervalSince1970, name])
            return db.changesCount > 0
        }
        // A revoked token stays revoked after a power cut.
        syncToDisk()
        return revoked
    }

    /// The name of the holder of the valid (unrevoked) token of `kind` that `presented` is, or
    /// nil. Every presented token costs the same hash and comparison, found or not.
    public func authenticate(_ kind: TokenKind, _ presented: String) throws(StoreError) -> String? {
        let (id, secret) = Self.split(presented, prefix: kind.prefix)
        let hash = Data(SHA256.hash(data: Data(secret.utf8)))
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT name, secret_hash, revoked, last_used FROM \(kind.table) WHERE id = ?", arguments: [id])
        }
        let stored: Data = row?["secret_hash"] ?? Data(repeating: 0, count: hash.count)
        let matches = Self.constantTimeEqual(stored, hash)
        guard let row, matches, row["revoked"] as Double? == nil else { return nil }
        let name: String = row["name"]
        // Written once a minute at most: every call of every agent comes here.
        let now = Date().timeIntervalSince1970
        if now - (row["last_used"] as Double? ?? 0) > 60 {
            _ = try? write { db in
                try db.execute(sql: "UPDATE \(kind.table) SET last_used = ? WHERE id = ?", arguments: [now, id])
            }
        }
        return name
    }

    static func split(_ token: String, prefix: String = tokenPrefix) -> (id: String, secret: String) {
        guard token.hasPrefix(prefix) else { return ("", token) }
        let rest = token.dropFirst(prefix.count)
        guard let dash = rest.firstIndex(of: "-") else { return ("", token) }
        return (String(rest[..<dash]), String(rest[rest.index(after: dash)...]))
    }

    static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }.joined()
    }

    /// What is wrong with `name` as an agent's name, if anything.
    public static func agentNameProblem(_ name: String) -> String? { nameProblem(name) }

    /// Names appear in logs, notes and the web UI: short, printable, no spaces.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty || name.count > 64 { return "an agent name must be 1 to 64 characters" }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)
        }
        return allowed ? nil : "an agent name may hold only letters, digits, '.', '_' and '-': '\(name)'"
    }
}
