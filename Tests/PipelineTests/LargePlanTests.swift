import Pipeline
import Testing

/// Plans of the largest size allowed, and cycles that run through stage order.
@Suite struct LargePlanTests {
    @Test func aThousandJobsInTenStagesArePlannedWithTheirStageOrder() throws {
        let stages = (0..<10).map { "s\($0)" }
        let text = "stages: [\(stages.joined(separator: ", "))]\njobs:\n"
            + (0..<1000).map { "  j\($0):\n    stage: s\($0 / 100)\n    steps: [x]\n" }.joined()
        #expect(problems(text) == [])
        let planned = try plan(text)
        #expect(planned.jobs.count == 1000)
        #expect(planned.job(named: "j0")?.dependencies == [])
        #expect(planned.job(named: "j999")?.dependencies.count == 900)
        #expect(planned.job(named: "j150")?.dependencies == (0..<100).map { "j\($0)" })
    }

    @Test func aCycleThroughSeveralStagesIsFoundByItsShortestWay() {
        // `c` (stage three) waits for every earlier job, `a` among them; `a` needs `c`.
        let yaml = """
            stages: [one, two, three]
            jobs:
              a:
                stage: one
                needs: [c]
                steps: [x]
              b:
                stage: two
                steps: [x]
              c:
                stage: three
                steps: [x]
            """
        #expect(problems(yaml) == [".gitci.yml:5:13: needs cycle: a → c → a"])
    }

    @Test func jobsOfLaterStagesAreNotPartOfAnEarlierCycle() {
        let yaml = """
            stages: [one, two]
            jobs:
              a: { stage: one, needs: [b], steps: [x] }
              b: { stage: one, needs: [a], steps: [x] }
              c: { stage: two, steps: [x] }
            """
        #expect(problems(yaml) == [".gitci.yml:3:28: needs cycle: a → b → a"])
    }
}
