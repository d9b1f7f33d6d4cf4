import Foundation
import GRDB

/// The coordinator's own state in `$GITCI_HOME/coordinator.sqlite` (WAL): what belongs to no one
/// repository. Agent tokens, stored hashed, that `gitci agent-token` manages and `gitci serve`
/// checks; the jobs it hands to agents and the agents it has seen.
public final class CoordinatorStore: Sendable {
    public static let fileName = "coordinator.sqlite"

    public let path: String
    let database: DatabaseQueue

    private init(path: String, database: DatabaseQueue) {
        self.path = path
        self.database = database
    }

    /// Opens (creating it and `home`, private to the user) the store of `home`.
    public static func open(home: String) throws(StoreError) -> CoordinatorStore {
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError("cannot make \(home): \((error as NSError).localizedDescription)")
        }
        let path = (home as NSString).appendingPathComponent(fileName)
        do {
            // Not synchronous=FULL: the job queue writes a few times per job (claim, lease, log,
            // result), and in WAL mode every commit survives the process dying without it; a
            // token's change, which must survive a power cut too, is checkpointed (syncToDisk).
            let database = try DatabaseSetup.open(path: path, busyTimeout: 15, durable: false, schema: schema)
            return CoordinatorStore(path: path, database: database)
        } catch {
            throw StoreError("cannot open \(path): \(error)")
        }
    }

    static let schema = DatabaseSetup.Schema(migrations: ["v1", "v2", "v3"], migrator: { migrator })

    package static var schemaListsEveryMigration: Bool { schema.migrations == migrator.migrations }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE agent_tokens (
                    name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, secret_hash BLOB NOT NULL,
                    created REAL NOT NULL, revoked REAL, last_used REAL
                );
                """)
        }
        registerDispatch(in: &migrator)
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE user_tokens (
                    name TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, secret_hash BLOB NOT NULL,
                    created REAL NOT NULL, revoked REAL, last_used REAL
                );
                """)
        }
        return migrator
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("\(path): \(error)")
        }
    }

    /// Puts what was committed on disk, synced: for what must survive a power cut.
    func syncToDisk() {
        _ = try? database.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(FULL)") }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw StoreError("\(path): \(error)")
        }
    }
}
