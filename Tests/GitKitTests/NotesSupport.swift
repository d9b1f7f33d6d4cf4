import Foundation
import GitKit
import Testing
import TestSupport

let notesRef = "refs/notes/gitci"

/// A made-up object id: a notes tree does not need the annotated objects to exist.
func fakeCommit(_ label: String) -> ObjectID {
    ObjectID.blobID(of: Array("fake commit \(label)".utf8))
}

func objectID(_ hex: String) throws -> ObjectID {
    try #require(ObjectID(hex: hex), "not an object id: \(hex)")
}

/// `ab/cdef…`: where gitci writes the note of `id`.
func fanOut(_ id: ObjectID) -> String { "\(id.hex.prefix(2))/\(id.hex.dropFirst(2))" }

extension GitFixture {
    /// A repository on `main` with `count` commits; returns their ids, oldest first.
    static func withCommits(_ count: Int) throws -> (GitFixture, [ObjectID]) {
        let fixture = try GitFixture()
        var ids: [ObjectID] = []
        for index in 0..<count {
            ids.append(try objectID(try fixture.commit(["file.txt": "version \(index)\n"], message: "c\(index)")))
        }
        return (fixture, ids)
    }

    func open() throws -> Repository { try Repository.open(path) }

    /// What `git notes --ref=REF show` prints for `commit` (trimmed), or nil when it fails.
    func gitNote(_ commit: ObjectID, ref: String = "gitci") -> String? {
        try? git(["notes", "--ref=\(ref)", "show", commit.hex])
    }

    /// `git notes --ref=REF list`: annotated object → note blob.
    func gitNotesList(ref: String = "gitci") throws -> [String: String] {
        var notes: [String: String] = [:]
        for line in try git(["notes", "--ref=\(ref)", "list"]).split(separator: "\n") {
            let fields = line.split(separator: " ")
            notes[String(fields[1])] = String(fields[0])
        }
        return notes
    }

    /// The blob paths of `git ls-tree -r REF`.
    func notesTreePaths(ref: String = notesRef) throws -> [String] {
        try git(["ls-tree", "-r", "--name-only", ref]).split(separator: "\n").map(String.init)
    }

    /// Writes a notes commit whose tree holds `files` (paths with `/`) with git plumbing only,
    /// points `ref` at it, and returns it.
    @discardableResult
    func writeNotesTreeByHand(_ files: [String: String], ref: String = notesRef) throws -> ObjectID {
        let environment = ["GIT_INDEX_FILE": directory.url("notes-index-\(UUID().uuidString)")]
        var entries: [String] = []
        for (path, text) in files {
            let blob = try Shell.run(["git", "hash-object", "-w", "--stdin"], in: self.path, input: text)
            entries.append("100644 \(blob.stdout.trimmingCharacters(in: .whitespacesAndNewlines))\t\(path)")
        }
        let update = try Shell.run(["git", "update-index", "--add", "--index-info"], in: self.path,
                                   environment: environment, input: entries.joined(separator: "\n") + "\n")
        guard update.status == 0 else { throw FixtureError("update-index: \(update.stderr)") }
        let tree = try Shell.run(["git", "write-tree"], in: self.path, environment: environment)
        let commit = try git(["commit-tree", "-m", "notes by hand", tree.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        try git(["update-ref", ref, commit])
        return try objectID(commit)
    }
}
