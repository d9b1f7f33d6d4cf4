import Pipeline
import Testing

@Suite struct SmokeTests {
    @Test func parsesAMinimalPipeline() throws {
        let config = try PipelineConfig.parse(Array("jobs:\n  a:\n    steps: [true]\n".utf8))
        #expect(config.jobs.map(\.name.value) == ["a"])
    }
}
