import GRDB
import GRDBSQLite

/// The connection settings gitci's SQLite files share.
enum DatabaseSetup {
    /// WAL mode (DatabasePool) with the WAL file kept between processes: SQLite deletes it when
    /// the last connection closes, and each short-lived command (`gitci status`, the hook) would
    /// otherwise create it again, write its header and fsync the file and the folder, twice.
    static func configuration(busyTimeout: Double) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            var persist: Int32 = 1
            _ = sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, &persist)
        }
        return configuration
    }
}
