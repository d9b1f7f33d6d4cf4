internal import CLibgit2

extension Repository {
    /// Sets a value in the repository's own configuration file (`$GIT_DIR/config`).
    public func setConfig(_ key: String, _ value: String) throws(GitError) {
        try withLocalConfig { local throws(GitError) in
            try git(git_config_set_string(local, key, value), "cannot set \(key)")
        }
    }

    /// Removes a key from the repository's own configuration; no error when it is not set.
    public func unsetConfig(_ key: String) throws(GitError) {
        try withLocalConfig { local throws(GitError) in
            let rc = git_config_delete_entry(local, key)
            if rc == GIT_ENOTFOUND.rawValue { return }
            try git(rc, "cannot unset \(key)")
        }
    }

    private func withLocalConfig(_ body: (OpaquePointer?) throws(GitError) -> Void) throws(GitError) {
        var config: OpaquePointer?
        try git(git_repository_config(&config, handle), "cannot open the configuration of \(gitDirectory)")
        defer { git_config_free(config) }
        var local: OpaquePointer?
        try git(git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL), "cannot open \(gitDirectory)/config")
        defer { git_config_free(local) }
        try body(local)
    }

    /// A configuration value as git resolves it (local, global, system), or nil.
    public func configValue(_ key: String) -> String? {
        var config: OpaquePointer?
        guard git_repository_config(&config, handle) == 0 else { return nil }
        defer { git_config_free(config) }
        var snapshot: OpaquePointer?
        guard git_config_snapshot(&snapshot, config) == 0 else { return nil }
        defer { git_config_free(snapshot) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, snapshot, key) == 0, let value else { return nil }
        return String(cString: value)
    }

    /// Every value of a multi-valued key (`git config --add`), in the order git reads them
    /// (system, global, local); empty when it is not set.
    public func configValues(_ key: String) -> [String] {
        var config: OpaquePointer?
        guard git_repository_config(&config, handle) == 0 else { return [] }
        defer { git_config_free(config) }
        var snapshot: OpaquePointer?
        guard git_config_snapshot(&snapshot, config) == 0 else { return [] }
        defer { git_config_free(snapshot) }
        var iterator: OpaquePointer?
        guard git_config_multivar_iterator_new(&iterator, snapshot, key, nil) == 0 else { return [] }
        defer { git_config_iterator_free(iterator) }
        var values: [String] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, iterator) == 0 {
            if let value = entry?.pointee.value { values.append(String(cString: value)) }
        }
        return values
    }
}
