// gitkit-stress: one of several processes racing to write notes, for GitKit's concurrency test.
//
//   gitkit-stress REPO REF LABEL COMMIT...
//
// Appends one note line per COMMIT to REF, one `appendNotes` call (one notes commit) per line,
// so that every line is a separate race for the ref against the other processes.
import Foundation
import GitKit

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: gitkit-stress REPO REF LABEL COMMIT...\n".utf8))
    exit(2)
}
let (path, ref, label) = (arguments[0], arguments[1], arguments[2])
do {
    let repository = try Repository.open(path)
    for (index, hex) in arguments.dropFirst(3).enumerated() {
        guard let commit = ObjectID(hex: hex) else {
            FileHandle.standardError.write(Data("not an object id: \(hex)\n".utf8))
            exit(2)
        }
        let text = #"{"writer":"\#(label)","n":\#(index)}"#
        _ = try repository.appendNotes([NoteAppend(commit: commit, text: text)], ref: ref, message: "stress \(label) \(index)")
    }
} catch {
    FileHandle.standardError.write(Data("gitkit-stress \(label): \(error)\n".utf8))
    exit(1)
}
