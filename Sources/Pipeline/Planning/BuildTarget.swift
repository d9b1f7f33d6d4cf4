/// What a build is for: a branch, a tag, or neither (a detached commit). Decides which jobs
/// `when:` lets run, and what steps see as `GITCI_BRANCH` and `GITCI_TAG`.
public enum BuildTarget: Sendable, Hashable {
    case branch(String)
    case tag(String)
    case detached

    public static let branchPrefix = "refs/heads/"
    public static let tagPrefix = "refs/tags/"

    /// The target of a full ref name: `refs/heads/X` is branch X, `refs/tags/X` tag X; any
    /// other ref (or none) is no branch and no tag.
    public init(ref: String?) {
        if let ref, ref.hasPrefix(Self.branchPrefix) {
            self = .branch(String(ref.dropFirst(Self.branchPrefix.count)))
        } else if let ref, ref.hasPrefix(Self.tagPrefix) {
            self = .tag(String(ref.dropFirst(Self.tagPrefix.count)))
        } else {
            self = .detached
        }
    }

    public var branch: String? {
        if case .branch(let name) = self { return name }
        return nil
    }

    public var tag: String? {
        if case .tag(let name) = self { return name }
        return nil
    }
}
