import Pipeline
import Testing

/// Whatever bytes are committed as `.gitci.yml`, gitci answers quickly with a clear diagnostic
/// (or a valid plan): it never crashes, overflows its stack or hangs the worker.
@Suite struct HostileInputTests {
    /// Deterministic pseudo-random bytes (xorshift), so that a failure can be replayed.
    static func garbage(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    // MARK: - Not text

    @Test(arguments: [1, 2, 3, 42])
    func binaryGarbageIsCalledNotText(seed: UInt64) {
        let lines = expectFast { problems(Self.garbage(count: 64 * 1024, seed: seed)) }
        #expect(lines.count == 1)
        let line = lines.first ?? ""
        #expect(line.hasPrefix(".gitci.yml:"))
        #expect(line.hasSuffix(": the file is not valid UTF-8 text") || line.contains(": the file is not text: control character"),
                "\(line)")
    }

    @Test func invalidUTF8IsReportedWhereItIs() {
        #expect(problems(Array("jobs:\n  a:\n    st".utf8) + [0xFF] + Array("eps: [x]\n".utf8)) == [
            ".gitci.yml:3:7: the file is not valid UTF-8 text",
        ])
        // A multi-byte character cut short at the end of the file.
        #expect(problems(Array("jobs: {a: {steps: [é]}}\n#".utf8) + [0xC3]) == [
            ".gitci.yml:2:2: the file is not valid UTF-8 text",
        ])
        // An overlong encoding of "/".
        #expect(problems(Array("x: ".utf8) + [0xC0, 0xAF]) == [".gitci.yml:1:4: the file is not valid UTF-8 text"])
    }

    @Test func aUTF16FileIsNotValidUTF8() {
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("jobs:".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(problems(utf16) == [".gitci.yml:1:1: the file is not valid UTF-8 text"])
    }

    @Test func nulAndControlBytesAreReportedWhereTheyAre() {
        #expect(problems(Array("jobs:\n  a".utf8) + [0] + Array(":\n    steps: [x]\n".utf8)) == [
            ".gitci.yml:2:4: the file is not text: control character 0x0 (is it a binary file?)",
        ])
        #expect(problems([UInt8](repeating: 0, count: 4096)) == [
            ".gitci.yml:1:1: the file is not text: control character 0x0 (is it a binary file?)",
        ])
        #expect(problems(Array("jobs: {a: {steps: [\u{1B}[31m]}}\n".utf8)) == [
            ".gitci.yml:1:20: the file is not text: control character 0x1b (is it a binary file?)",
        ])
    }

    // MARK: - Size

    @Test func aTenMegabyteFileIsRefusedWithoutReadingIt() {
        let line = Array("  KEY_0000000: a value that is long enough to fill the line quickly\n".utf8)
        var bytes = Array("env:\n".utf8)
        while bytes.count < 10 * 1024 * 1024 { bytes += line }
        let lines = expectFast(within: .seconds(2)) { problems(bytes) }
        #expect(lines == [
            ".gitci.yml:1:1: the file is \(bytes.count) bytes; a pipeline file may be at most 1048576 bytes",
        ])
    }

    @Test func aFileOfExactlyTheLimitIsRead() throws {
        var text = "jobs: {a: {steps: [x]}}\n"
        let filler = "# " + String(repeating: "-", count: 97) + "\n"
        while text.utf8.count + filler.utf8.count <= PipelineConfig.maximumFileSize { text += filler }
        text += String(repeating: "#", count: PipelineConfig.maximumFileSize - text.utf8.count)
        #expect(text.utf8.count == PipelineConfig.maximumFileSize)
        let planned = try expectFast { try plan(text) }
        #expect(planned.jobs.map(\.name) == ["a"])
        #expect(problems(text + "\n") == [
            ".gitci.yml:1:1: the file is 1048577 bytes; a pipeline file may be at most 1048576 bytes",
        ])
    }

    @Test func aLargeRealisticPipelineIsPlannedQuickly() throws {
        // ~1 MB: 900 jobs over three stages, each with a dozen steps and needs on the previous one.
        var text = "stages: [a, b, c]\njobs:\n"
        for index in 0..<900 {
            text += "  job\(index):\n    stage: \(["a", "b", "c"][index % 3])\n"
            if index > 0 { text += "    needs: [job\(index - 1)]\n" }
            text += "    steps:\n"
            for step in 0..<12 { text += "      - echo step \(step) of job \(index) with some padding text here\n" }
        }
        #expect(text.utf8.count < PipelineConfig.maximumFileSize)
        let planned = try expectFast { try plan(text) }
        #expect(planned.jobs.count == 900)
        #expect(planned.jobs.last?.dependencies == ["job898"])
    }

    // MARK: - Nesting

    @Test(arguments: ["[", "{"])
    func aHundredOpeningBracketsAreRefusedAtTheFirstTooDeep(bracket: String) {
        #expect(problems(String(repeating: bracket, count: 100)) == [".gitci.yml:1:65: nesting deeper than 64 levels"])
    }

    @Test(arguments: ["[", "{", "jobs: {a: {steps: ["])
    func aHundredThousandOpeningBracketsAreRefusedQuickly(prefix: String) {
        // libyaml gives up on its own past 1,000 levels, before gitci sees the 65th; the user must
        // still read what is wrong rather than libyaml's internals.
        let text = prefix + String(repeating: prefix.last.map(String.init) ?? "[", count: 100_000)
        let lines = expectFast { problems(text) }
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix(".gitci.yml:1:") == true)
        #expect(lines.first?.hasSuffix(": nesting deeper than 64 levels") == true, "\(lines)")
    }

    @Test func deeplyIndentedMappingsAreRefusedAtTheFirstTooDeep() {
        let text = (0..<100).map { String(repeating: "  ", count: $0) + "a:\n" }.joined()
        let lines = expectFast { problems(text) }
        #expect(lines == [".gitci.yml:65:129: nesting deeper than 64 levels"])
    }

    @Test func deeplyNestedDashesAreRefusedAtTheFirstTooDeep() {
        let text = String(repeating: "- ", count: 50_000) + "x\n"
        #expect(expectFast { problems(text) } == [".gitci.yml:1:129: nesting deeper than 64 levels"])
    }

    @Test func nestingUpToTheLimitIsReadNormally() {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(problems(text) == [".gitci.yml:1:1: the pipeline file must be a mapping, not a list"])
    }

    // MARK: - Anchors and aliases

    @Test func aBillionLaughsIsRefusedWhereItExplodes() {
        let text = """
            a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
            b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
            c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
            d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
            e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
            f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
            g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
            h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
            i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
            jobs: { a: { steps: *i } }
            """
        #expect(expectFast { problems(text) } == [
            ".gitci.yml:6:44: aliases expand this document to more than 1000000 nodes",
        ])
    }

    @Test func anAliasBombUsedAsKeysIsRefused() {
        // Yams hashes mapping keys: an exploded alias as a key would take exponential time.
        // Each anchor stays under the limit (e: 111,111 nodes); the keys together do not.
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (previous, name) in zip("abcd", "bcde") {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "jobs:\n  ? *e\n  : 1\n  ? [" + Array(repeating: "*e", count: 9).joined(separator: ", ") + "]\n  : 2\n"
        let lines = expectFast { problems(text) }
        #expect(lines.count == 1)
        #expect(lines.first?.hasSuffix(": aliases expand this document to more than 1000000 nodes") == true, "\(lines)")
    }

    @Test func oneTemplateMergedIntoManyJobsIsReadQuickly() throws {
        // Large but within the limits: a 10,000-variable env merged into 40 jobs (400,000 nodes).
        let variables = (0..<10_000).map { "    V\($0): v\n" }.joined()
        var text = "jobs:\n  .env: &env\n" + variables
        for index in 0..<40 { text += "  j\(index):\n    steps: [x]\n    env:\n      <<: *env\n      V0: mine\n" }
        let planned = try expectFast { try plan(text) }
        #expect(planned.jobs.count == 40)
        #expect(planned.jobs[0].environment.count == 10_000)
        #expect(planned.jobs[0].environment.first == EnvironmentVariable(name: "V0", value: "mine"))
    }

    @Test func aSelfReferencingAnchorIsAnUndefinedAlias() {
        #expect(problems("jobs: &a\n  a: *a\n") == [".gitci.yml:2:6: YAML syntax error: found undefined alias"])
    }

    @Test func aMergeOfSomethingThatIsNotAMappingIsAnError() {
        #expect(problems("jobs:\n  a:\n    <<: [x]\n    steps: [x]\n") == [
            ".gitci.yml:3:10: a '<<' merge must be a mapping, not 'x'",
        ])
    }

    // MARK: - Degenerate files

    @Test(arguments: ["", "\n\n", "# only a comment\n", "---\n", "~\n", "null\n", "---\n...\n", "   \n"])
    func anEmptyFileSaysWhatIsMissing(text: String) {
        #expect(problems(text) == [".gitci.yml:1:1: the pipeline file is empty: it needs a 'jobs' mapping"])
    }

    @Test func aFileThatIsJustAScalarSaysWhatItShouldBe() {
        #expect(problems("hello\n") == [".gitci.yml:1:1: the pipeline file must be a mapping, not 'hello'"])
        #expect(problems("42") == [".gitci.yml:1:1: the pipeline file must be a mapping, not '42'"])
        #expect(problems("- a\n- b\n") == [".gitci.yml:1:1: the pipeline file must be a mapping, not a list"])
        #expect(problems("\"jobs\"") == [".gitci.yml:1:1: the pipeline file must be a mapping, not 'jobs'"])
    }

    @Test func aHugeScalarIsQuotedShortened() {
        let text = String(repeating: "x", count: 500_000)
        #expect(expectFast { problems(text) } == [
            ".gitci.yml:1:1: the pipeline file must be a mapping, not '\(String(repeating: "x", count: 40))…'",
        ])
    }

    @Test func aHugeUnknownKeyIsQuotedShortened() {
        let key = String(repeating: "k", count: 1_000)  // YAML allows simple keys up to 1024 characters
        #expect(problems("\(key): 1\njobs: {a: {steps: [x]}}\n") == [
            ".gitci.yml:1:1: unknown key '\(String(repeating: "k", count: 40))…' in the pipeline file",
        ])
    }

    @Test func keysThatAreNotNamesAreRefused() {
        #expect(problems("jobs:\n  ? [a, b]\n  : {steps: [x]}\n  c: {steps: [x]}\n") == [
            ".gitci.yml:2:5: keys in 'jobs' must be plain names, not a list",
        ])
    }

    @Test func yamlTagsDoNotRunOrConstructAnything() throws {
        let plan = try plan("jobs:\n  a:\n    steps: [!!python/name:os.system id, !!binary aWQ=]\n")
        #expect(plan.jobs[0].steps.map(\.run) == ["id", "aWQ="], "tags are ignored: the text is the command")
    }

    // MARK: - Floods

    @Test func thirtyThousandUnknownKeysGiveTwoHundredErrorsQuickly() {
        let text = (0..<30_000).map { "k\($0): 1\n" }.joined() + "jobs: {a: {steps: [x]}}\n"
        let lines = expectFast { problems(text) }
        #expect(lines.count == 201)
        #expect(lines.last == ".gitci.yml:200:1: 29800 more errors not shown")
    }

    @Test func ninetyThousandMissingNeedsGiveTwoHundredErrorsQuickly() {
        let needs = (0..<90_000).map { "m\($0)" }.joined(separator: ",")
        let lines = expectFast { problems("jobs:\n  a:\n    steps: [x]\n    needs: [\(needs)]\n") }
        #expect(lines.count == 201)
        #expect(lines.first == ".gitci.yml:4:13: job 'a' needs 'm0', which is not a job of this pipeline")
    }

    @Test func everyJobNeedingEveryOtherJobIsPlannedQuickly() throws {
        // 900 jobs × 900 needs through one alias: 810,000 edges, within the node limit.
        let names = (0..<900).map { "j\($0)" }
        let text = "jobs:\n  .all: &all [\(names.joined(separator: ", "))]\n"
            + "  first: { stage: build, steps: [x] }\n"
            + names.map { "  \($0): { needs: [first], steps: [x] }\n" }.joined()
            + "  last: { stage: deploy, needs: *all, steps: [x] }\n"
        let planned = try expectFast { try plan(text) }
        #expect(planned.jobs.count == 902)
        #expect(planned.job(named: "last")?.dependencies.count == 900)

        let cyclic = "jobs:\n  .all: &all [\(names.joined(separator: ", "))]\n"
            + names.map { "  \($0): { needs: *all, steps: [x] }\n" }.joined()
        // Every job waits for every other: one tangle, reported once, by its shortest cycle.
        let lines = expectFast { problems(cyclic) }
        #expect(lines == [".gitci.yml:2:15: needs cycle: j0 → j0"])
    }
}
