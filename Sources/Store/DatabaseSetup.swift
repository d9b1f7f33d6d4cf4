internal import CHookSupport
import Foundation
import GRDB

/// The connection settings gitci's SQLite files share.
enum DatabaseSetup {
    /// WAL mode is set by `open`. The WAL and shared-memory files stay when the last connection
    /// closes, the WAL emptied (gitci_keep_wal_file): the worker a push starts, and every
    /// `gitci status`, would otherwise create both afresh. A WAL kept with its pages in it could
    /// hold valid copies of pages since damaged in the main file, and the index would then miss
    /// its own corruption: an empty one holds none.
    ///
    /// `keepsWALPages`: closing, even the last connection, leaves the WAL's pages where they are
    /// (no checkpoint on close): the queue's, which the worker checkpoints and starts over as it
    /// leaves (BuildQueue.startWALOver), so that a push's first write finds the WAL started.
    ///
    /// `durable`: every commit is on disk when it returns (synchronous=FULL), for what cannot be
    /// had again, like a push the hook recorded. Otherwise synchronous=NORMAL, which in WAL mode
    /// still never corrupts the file but may lose the last commits to a power cut: fine for the
    /// index (rebuilt from the notes) and for the worker's bookkeeping (a build whose claim is
    /// lost is simply run again), and it spares a short build one fsync per job status.
    static func configuration(busyTimeout: Double, durable: Bool, keepsWALPages: Bool) -> Configuration {
        var configuration = Configuration()
        // No table of gitci's has a foreign key, and GRDB's `PRAGMA foreign_keys = ON` at every
        // open costs first-use lookups of its SQL-building generics (~0.5 ms of every start here).
        configuration.foreignKeysEnabled = false
        // gitci-hook's short steps, not SQLite's 1, 2, 5 ms sleeps (gitci_busy_pause says why).
        let limit = Int32(min(busyTimeout * 1000, Double(Int32.max)))
        configuration.busyMode = .callback { tries in
            let pause = gitci_busy_pause(Int32(clamping: tries), limit)
            guard pause >= 0 else { return false }
            usleep(UInt32(pause))
            return true
        }
        configuration.prepareDatabase { db in
            let connection = UnsafeMutableRawPointer(db.sqliteConnection)
            var rc = gitci_keep_wal_file(connection)
            if rc == 0, keepsWALPages { rc = gitci_keep_wal_pages(connection) }
            // Through sqlite3_exec: GRDB's `execute(sql:)` builds its SQL literal and checks the
            // statement with its authorizer, first uses that cost every open ~0.2 ms.
            if rc == 0 { rc = gitci_set_synchronous(connection, durable ? 1 : 0) }
            guard rc == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
        }
        return configuration
    }

    /// A database's schema: the identifiers of its migrations, which every open checks, and the
    /// migrator that applies them, made only when one is missing: making it and asking it (its
    /// closures, and GRDB's generic types looked up by the Swift runtime for the first time,
    /// each a scan of every conformance record) cost every worker and every `gitci status`
    /// ~1.5 ms here.
    struct Schema: Sendable {
        let migrations: [String]
        let migrator: @Sendable () -> DatabaseMigrator
    }

    /// Opens `path` (creating it) in WAL mode, with `schema`'s migrations applied. One connection
    /// (DatabaseQueue), not a DatabasePool: gitci's commands live a few milliseconds and the
    /// worker writes from one place, while a pool writes a dummy transaction at every open to
    /// make sure a WAL file exists (four fsyncs and two files made and deleted in every
    /// `gitci status`). A database already in WAL mode, already migrated, is only read here.
    static func open(path: String, busyTimeout: Double, durable: Bool, keepsWALPages: Bool = false,
                     schema: Schema) throws -> DatabaseQueue {
        let configuration = configuration(busyTimeout: busyTimeout, durable: durable, keepsWALPages: keepsWALPages)
        // Made private to the user before SQLite makes it (0644) and its WAL and shared-memory
        // files, which take its mode: an empty file is a new database to SQLite.
        let made = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if made >= 0 { close(made) }
        let database = try DatabaseQueue(path: path, configuration: configuration)
        // Processes that open a file that did not exist at the same moment (a `gitci status`
        // while the worker writes its first results) race to make its schema: the losers fail
        // on the winner's half-made or just-made tables. Looked at again, the schema is there.
        var attempt = 0
        while true {
            do {
                try prepare(database, schema: schema)
                return database
            } catch let error as DatabaseError where attempt < 5 && racedResultCodes.contains(error.resultCode) {
                attempt += 1
                usleep(UInt32(10_000 * attempt))
            }
        }
    }

    private static let racedResultCodes: [ResultCode] = [.SQLITE_ERROR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_SCHEMA]

    private static func prepare(_ database: DatabaseQueue, schema: Schema) throws {
        let (journalMode, applied) = try database.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'")
            let applied = tables.isEmpty ? [] : try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            return (try String.fetchOne(db, sql: "PRAGMA journal_mode"), Set(applied))
        }
        if journalMode != "wal" {
            try database.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        }
        if !applied.isSuperset(of: schema.migrations) {
            try schema.migrator().migrate(database)
        }
    }
}
