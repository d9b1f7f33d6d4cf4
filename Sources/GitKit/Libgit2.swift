internal import CLibgit2
internal import CLibgit2Startup

/// libgit2 must be initialised once per process before any call; done lazily so that commands
/// that never touch git do not pay for it.
package enum Libgit2 {
    static let initialized: Void = {
        // Loading the CA certificates is most of libgit2's start-up and only a fetch or push
        // needs them (CLibgit2Startup says how): `certificates` loads them.
        gitci_defer_startup(1)
        git_libgit2_init()
        gitci_defer_startup(0)
    }()

    /// What became of the certificates libgit2 would have loaded at start-up.
    package enum Certificates: Equatable, Sendable {
        /// libgit2 asked for none (built without mbedTLS, or no system bundle).
        case notDeferred
        case loaded(String)
        case failed(String)
    }

    /// Loads the CA certificates when `url` may need them: an https URL (or one whose scheme
    /// libgit2 might take to TLS). A path, `file://` or ssh needs none, and loading them costs a
    /// fetch from a local mirror more than the fetch itself.
    package static func loadCertificates(for url: String) {
        let lowered = url.lowercased()
        if lowered.hasPrefix("/") || lowered.hasPrefix("file://") || lowered.hasPrefix("ssh://")
            || lowered.hasPrefix("git+ssh://") || lowered.hasPrefix("ssh+git://") { return }
        // `user@host:path`, and a relative path: no scheme at all.
        if !lowered.contains("://") { return }
        _ = certificates
    }

    /// The CA certificates libgit2 would have loaded at start-up, loaded now: before any
    /// network operation. A failure is left for the operation itself to report.
    package static let certificates: Certificates = {
        _ = initialized
        let file = gitci_deferred_ca_file()
        let folder = gitci_deferred_ca_folder()
        guard file != nil || folder != nil else { return .notDeferred }
        let location = [file, folder].compactMap { $0.map { String(cString: $0) } }.joined(separator: ", ")
        do throws(GitError) {
            try git(gitci_set_ssl_cert_locations(file, folder), "cannot load the CA certificates \(location)")
            return .loaded(location)
        } catch {
            return .failed(error.message)
        }
    }()
}
