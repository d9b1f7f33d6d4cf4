#if canImport(Glibc)
import Glibc
#endif

/// A state folder is its user's alone: the queue and its WAL hold what pushes carried
/// (`git push -o ci.variable=…` values), the logs what builds printed. The folder is 0700 and
/// its files 0600; files are made so (SQLite gives a database's WAL and shared-memory files the
/// database's own mode), and folders made by an older gitci are put right when a worker or
/// `gitci install` opens them.
public enum StateFolderModes {
    public static let folder: UInt32 = 0o700
    public static let file: UInt32 = 0o600

    /// The state folder 0700, and every file directly in it 0600. A few system calls when all is
    /// right already.
    public static func secure(_ stateFolder: String) {
        var status = stat()
        guard stat(stateFolder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return }
        if status.st_mode & 0o777 != folder { chmod(stateFolder, mode_t(folder)) }
        guard let directory = opendir(stateFolder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            let path = stateFolder + "/" + name
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o077 != 0 else { continue }
            chmod(path, status.st_mode & 0o700)
        }
    }
}
