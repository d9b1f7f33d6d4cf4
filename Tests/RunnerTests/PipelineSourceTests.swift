import GitKit
import Pipeline
import Runner
import Testing

/// The worker reads a push's pipeline twice (to decide, then to run); the second parse comes
/// from memory, looked up by the file's blob id.
@Suite struct PipelineSourceTests {
    static func file(_ job: String) -> [UInt8] {
        Array("jobs:\n  \(job):\n    steps: [\"true\"]\n".utf8)
    }

    @Test func aBlobIsParsedOnceAndEachBlobKeepsItsOwnPipeline() throws {
        let first = Self.file("first-\(UInt32.random(in: 0 ... .max))"), second = Self.file("second")
        let firstBlob = ObjectID.blobID(of: first), secondBlob = ObjectID.blobID(of: second)
        let firstJobs = try PipelineSource.config(first, blob: firstBlob).jobs.map(\.name.value)
        #expect(try PipelineSource.config(second, blob: secondBlob).jobs.map(\.name.value) == ["second"])
        // Asked again by the first blob id, with other bytes: what that blob held, not a parse.
        #expect(try PipelineSource.config(second, blob: firstBlob).jobs.map(\.name.value) == firstJobs)
        #expect(firstJobs.first?.hasPrefix("first-") == true)
        // Without a blob id, always parsed.
        #expect(try PipelineSource.config(second, blob: nil).jobs.map(\.name.value) == ["second"])
    }
}
