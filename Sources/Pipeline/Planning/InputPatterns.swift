/// The paths a job's `inputs:` (or `changes:`) select in a commit's tree.
///
/// Every entry is a path from the repository's root (a leading `/` or `./` changes nothing):
/// - a plain path, `src/`, `src` or `pyproject.toml`: that folder, with everything in it, or
///   that file;
/// - a glob (Glob): `*` and `?` stay within one folder level, `**` crosses levels, so `*.py`
///   is the `.py` files at the top, `**/*.py` every `.py` file and `src/**` everything in `src`;
/// - `.`: the whole tree;
/// - `!` before any of those leaves out what it selects, whatever the other entries say.
///
/// A folder an entry selects is selected whole. A list of `!` entries alone selects the whole
/// tree minus them, as does no list at all.
///
/// What a tree walk asks (`verdict`) is answered so that a walk takes a selected folder by its
/// tree id and only opens the folders an entry may select something inside: a plain path is
/// looked up (`starts`), never searched for.
public struct InputPatterns: Sendable, Hashable {
    /// Normalized (no leading `./` or `/`, no trailing `/`); `""` is the whole tree.
    public let includes: [String]
    public let excludes: [String]

    public enum Verdict: Sendable, Equatable {
        /// Selected, all of it.
        case take
        /// Nothing in it is selected.
        case skip
        /// Some of what is inside may be selected: look at its entries.
        case descend
    }

    /// `entries` as written in `inputs:`; nil (no `inputs:`) selects the whole tree.
    public init(_ entries: [String]?) {
        var includes: [String] = []
        var excludes: [String] = []
        for entry in entries ?? [] {
            if entry.hasPrefix("!") {
                excludes.append(Self.normalize(String(entry.dropFirst())))
            } else {
                includes.append(Self.normalize(entry))
            }
        }
        self.includes = includes.isEmpty ? [""] : includes
        self.excludes = excludes.filter { !$0.isEmpty }
    }

    /// Why an entry cannot be used (it leaves the repository, or selects nothing), if it cannot.
    public static func problem(_ entry: String) -> String? {
        let path = entry.hasPrefix("!") ? String(entry.dropFirst()) : entry
        if path.trimmingWhitespace().isEmpty { return "is empty" }
        if path.split(separator: "/").contains("..") { return "leaves the repository ('..')" }
        return nil
    }

    static func normalize(_ path: String) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        while segments.first == "." { segments.removeFirst() }
        segments.removeAll { $0 == "." }
        return segments.joined(separator: "/")
    }

    static func isGlob(_ pattern: String) -> Bool {
        pattern.contains("*") || pattern.contains("?")
    }

    /// Where a walk starts: for each included entry, its longest leading part without
    /// wildcards (the whole path of a plain entry), which a walk looks up directly.
    public var starts: [String] {
        var starts: [String] = []
        for include in includes {
            let start = Self.isGlob(include)
                ? include.split(separator: "/").prefix { !Self.isGlob(String($0)) }.joined(separator: "/")
                : include
            if !starts.contains(start) { starts.append(start) }
        }
        return starts
    }

    /// What a walk does with the entry at `path` (`""`: the root tree).
    public func verdict(path: String, isTree: Bool) -> Verdict {
        if isExcluded(path) { return .skip }
        if isIncluded(path) {
            if isTree, excludes.contains(where: { Self.couldMatch($0, below: path) }) { return .descend }
            return .take
        }
        if isTree, includes.contains(where: { Self.couldMatch($0, below: path) }) { return .descend }
        return .skip
    }

    /// Whether the file at `path` is selected (`changes:`, or a changed file of a working tree).
    public func selects(file path: String) -> Bool {
        !isExcluded(path) && isIncluded(path)
    }

    private func isIncluded(_ path: String) -> Bool {
        includes.contains { Self.matches($0, path) }
    }

    private func isExcluded(_ path: String) -> Bool {
        !path.isEmpty && excludes.contains { Self.matches($0, path) }
    }

    /// Whether `pattern` selects `path`: matches it or a folder it is in.
    static func matches(_ pattern: String, _ path: String) -> Bool {
        if pattern.isEmpty { return true }
        if path.isEmpty { return false }
        if !isGlob(pattern) {
            return path == pattern || (path.hasPrefix(pattern) && path.utf8.dropFirst(pattern.utf8.count).first == UInt8(ascii: "/"))
        }
        if Glob.matches(pattern, path) { return true }
        var folder = Substring(path)
        while let slash = folder.lastIndex(of: "/") {
            folder = folder[..<slash]
            if Glob.matches(pattern, String(folder)) { return true }
        }
        return false
    }

    /// Whether `pattern` may select something strictly inside the folder `folder` (conservative:
    /// true when unsure, which only costs a look inside).
    static func couldMatch(_ pattern: String, below folder: String) -> Bool {
        if folder.isEmpty { return true }
        let patternSegments = pattern.split(separator: "/")
        let folderSegments = folder.split(separator: "/")
        for (index, segment) in folderSegments.enumerated() {
            guard index < patternSegments.count else { return false }
            let part = String(patternSegments[index])
            if part.contains("**") { return true }
            if !Glob.matches(part, String(segment)) { return false }
        }
        return patternSegments.count > folderSegments.count
    }
}
