internal import CLibgit2

/// A libgit2 failure: the negative return code and the message libgit2 gave for it.
public struct GitError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    package init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    package var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    package var isConcurrentModification: Bool {
        code == GIT_EMODIFIED.rawValue || code == GIT_ELOCKED.rawValue
    }
}

/// Checks a libgit2 return code. The error is read here, synchronously, because
/// `git_error_last()` is thread-local and only describes the most recent failing call.
@discardableResult
func git(_ result: Int32, _ context: @autoclosure () -> String = "") throws(GitError) -> Int32 {
    guard result < 0 else { return result }
    var message = "libgit2 error \(result)"
    if let last = git_error_last(), let text = last.pointee.message {
        message = String(cString: text)
    }
    let prefix = context()
    throw GitError(code: result, message: prefix.isEmpty ? message : "\(prefix): \(message)")
}
