import Foundation

enum JSONOutput {
    /// Writes one JSON document and a newline to standard output: all that `--json` prints there.
    static func print(_ document: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(document)) ?? Data("{}".utf8)
        Output.write(data + Data("\n".utf8), to: .standardOutput)
    }
}
