import Foundation
import Pipeline

/// `$GITCI_ENV` and `$GITCI_PATH`: files a step appends `NAME=value` lines and folders to, to
/// hand variables and `PATH` entries to the later steps of its job.
///
/// They live in the workspace (the one folder a sandboxed step may write to that gitci reads
/// afterwards), inside its `.git`, which git never lists and tools that walk a checkout skip;
/// in a `.gitci/` folder where there is no `.git` (a repository without commits). Only what a
/// step appended is read after it, so a line is applied once.
struct StepHandoff {
    static let environmentFile = "gitci-job-env"
    static let pathFile = "gitci-job-path"
    /// More than this per step is not read: the files are for a few variables, not data.
    static let maximumBytesPerStep = 1 << 20

    let environmentPath: String
    let pathPath: String
    private var environmentOffset: UInt64 = 0
    private var pathOffset: UInt64 = 0

    init(workspace: String) throws {
        var isFolder: ObjCBool = false
        let dotGit = workspace + "/.git"
        let folder = FileManager.default.fileExists(atPath: dotGit, isDirectory: &isFolder) && isFolder.boolValue
            ? dotGit : workspace + "/.gitci"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        environmentPath = folder + "/" + Self.environmentFile
        pathPath = folder + "/" + Self.pathFile
        for file in [environmentPath, pathPath] {
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file])
            }
        }
    }

    /// Applies what the last step appended to `variables`; each line that is not usable becomes
    /// a warning through `warn`.
    mutating func apply(to variables: inout [String: String], warn: (String) -> Void) {
        for line in Self.newLines(environmentPath, from: &environmentOffset, warn: warn) {
            guard let equals = line.firstIndex(of: "="), Identifier.isEnvironmentName(String(line[..<equals])) else {
                warn("$GITCI_ENV: '\(Self.shortened(line))' is not NAME=value; ignored")
                continue
            }
            let name = String(line[..<equals])
            guard name != "GITCI_ENV", name != "GITCI_PATH" else {
                warn("$GITCI_ENV: \(name) cannot be changed; ignored")
                continue
            }
            variables[name] = String(line[line.index(after: equals)...])
        }
        for line in Self.newLines(pathPath, from: &pathOffset, warn: warn) {
            guard line.hasPrefix("/"), !line.contains(":") else {
                warn("$GITCI_PATH: '\(Self.shortened(line))' is not an absolute folder without ':'; ignored")
                continue
            }
            // Like a folder put first in PATH by hand: the last one added is searched first.
            let current = variables["PATH"] ?? ""
            variables["PATH"] = current.isEmpty ? String(line) : line + ":" + current
        }
    }

    private static func newLines(_ path: String, from offset: inout UInt64, warn: (String) -> Void) -> [Substring] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            // A step removed the file: nothing more to read from it.
            return []
        }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return [] }
        // Written over (`>` for `>>`): what it holds now is new.
        if end < offset { offset = 0 }
        guard end > offset else { return [] }
        let available = end - offset
        if available > UInt64(maximumBytesPerStep) {
            warn("\(path): a step appended \(available) bytes, more than \(maximumBytesPerStep); ignored")
            offset = end
            return []
        }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.read(upToCount: Int(available))) ?? Data()
        offset += UInt64(data.count)
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }.filter { !$0.isEmpty }
    }

    private static func shortened(_ line: Substring) -> String {
        line.count > 80 ? String(line.prefix(80)) + "…" : String(line)
    }
}
