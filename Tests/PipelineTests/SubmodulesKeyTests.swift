import Pipeline
import Testing

/// `submodules: false | true | recursive` on a job; `true` when left out.
@Suite struct SubmodulesKeyTests {
    @Test func eachValueAndTheDefault() throws {
        let config = try parse("""
            jobs:
              plain: { steps: [x] }
              off: { steps: [x], submodules: false }
              on: { steps: [x], submodules: true }
              deep: { steps: [x], submodules: recursive }
            """)
        let modes = Dictionary(uniqueKeysWithValues: config.jobs.map { ($0.name.value, $0.submodules) })
        #expect(modes == ["plain": .checkedOut, "off": .skipped, "on": .checkedOut, "deep": .recursive])
    }

    @Test func anythingElseIsAnErrorAtItsLineAndColumn() {
        let yaml = """
            jobs:
              a:
                steps: [x]
                submodules: recursively
              b:
                steps: [x]
                submodules: [true]
            """
        #expect(problems(yaml) == [
            ".gitci.yml:4:17: 'submodules' of job 'a' must be true, false or recursive, not 'recursively'",
            ".gitci.yml:7:17: 'submodules' of job 'b' must be true, false or recursive, not a list",
        ])
    }
}
