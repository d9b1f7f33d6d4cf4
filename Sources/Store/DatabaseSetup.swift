import GRDB

/// The connection settings gitci's SQLite files share.
enum DatabaseSetup {
    /// WAL mode comes with DatabasePool. The WAL file is deliberately not kept between
    /// processes (SQLITE_FCNTL_PERSIST_WAL): a kept WAL can hold valid copies of pages that were
    /// since damaged in the main file, and the index would then miss its own corruption.
    static func configuration(busyTimeout: Double) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        return configuration
    }
}
