public import Pipeline
public import Store

extension Build {
    /// What the build is for, as the queue knows it (its ref, else its branch): never guessed
    /// from the repository's HEAD, which on a server says nothing about a push.
    public var target: BuildTarget {
        ref.map(BuildTarget.init(ref:)) ?? branch.map(BuildTarget.branch) ?? .detached
    }
}
