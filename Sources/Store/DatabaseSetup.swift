import GRDB

/// The connection settings gitci's SQLite files share.
enum DatabaseSetup {
    /// WAL mode comes with DatabasePool. The WAL file is deliberately not kept between
    /// processes (SQLITE_FCNTL_PERSIST_WAL): a kept WAL can hold valid copies of pages that were
    /// since damaged in the main file, and the index would then miss its own corruption.
    ///
    /// `durable`: every commit is on disk when it returns (synchronous=FULL), for what cannot be
    /// had again, like a push the hook recorded. Otherwise synchronous=NORMAL, which in WAL mode
    /// still never corrupts the file but may lose the last commits to a power cut: fine for the
    /// index (rebuilt from the notes) and for the worker's bookkeeping (a build whose claim is
    /// lost is simply run again), and it spares a short build one fsync per job status.
    static func configuration(busyTimeout: Double, durable: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        let mode = durable ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(mode)")
        }
        return configuration
    }
}
