import Pipeline
import Testing

/// `labels:` naming matrix values: one job covers several platforms, each combination asking
/// for the node its values name.
@Suite struct MatrixLabelTests {
    func labels(_ yaml: String) throws -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: try plan(yaml).jobs.map { ($0.name, $0.labels) })
    }

    @Test func eachCombinationGetsTheLabelsItsValuesName() throws {
        let labels = try labels("""
            jobs:
              build:
                matrix: { os: [linux, macos], python: ["3.12"] }
                labels: ["${os}", "py$python", docker]
                steps: ["true"]
            """)
        #expect(labels == [
            "build (os=linux, python=3.12)": ["linux", "py3.12", "docker"],
            "build (os=macos, python=3.12)": ["macos", "py3.12", "docker"],
        ])
    }

    @Test func includeEntriesAndPythonListsAreMatrixValuesToo() throws {
        let labels = try labels("""
            jobs:
              test:
                python: ["3.11", "3.12"]
                matrix:
                  include: [{ python: "3.12", arch: arm64 }]
                labels: ["py${python}"]
                steps: ["true"]
              cross:
                matrix:
                  include: [{ arch: arm64 }, { arch: amd64 }]
                labels: ["$arch"]
                steps: ["true"]
            """)
        #expect(labels["test (python=3.11)"] == ["py3.11"])
        #expect(labels["test (python=3.12, arch=arm64)"] == ["py3.12"])
        #expect(labels["cross (arch=arm64)"] == ["arm64"])
        #expect(labels["cross (arch=amd64)"] == ["amd64"])
    }

    @Test func labelsWithoutVariablesStayAsWrittenAndADoubleDollarIsADollar() throws {
        let labels = try labels("""
            jobs:
              a: { labels: [linux, "cost$$"], steps: ["true"] }
              b: { matrix: { os: [x] }, labels: [linux], steps: ["true"] }
            """)
        #expect(labels["a"] == ["linux", "cost$"])
        #expect(labels["b (os=x)"] == ["linux"])
    }

    @Test func aNameTheMatrixDoesNotHaveIsAnErrorWithItsPlaceAndASuggestion() {
        let found = problems("""
            jobs:
              build:
                matrix: { os: [linux, macos] }
                labels: [fast, "${oss}"]
                steps: ["true"]
            """)
        #expect(found == [
            ".gitci.yml:4:20: label '${oss}' of job 'build' names 'oss', which is not a matrix value of the job (os); did you mean 'os'?",
        ])
    }

    @Test func aJobWithoutAMatrixCannotNameAValue() {
        let found = problems("""
            jobs:
              build:
                labels: ["$os"]
                steps: ["true"]
            """)
        #expect(found == [
            ".gitci.yml:3:14: label '$os' of job 'build' names 'os', but the job has no matrix: labels can only name matrix values",
        ])
    }

    @Test func aNameOnlySomeCombinationsHaveNamesTheOneWithout() {
        let found = problems("""
            jobs:
              build:
                matrix:
                  include: [{ os: linux }, { arch: arm64 }]
                labels: ["$os"]
                steps: ["true"]
            """)
        #expect(found == [".gitci.yml:5:14: label '$os' of job 'build' names 'os', which 'build (arch=arm64)' has no value for"])
    }

    @Test func aLabelMustNotBeEmptyOrHoldSpacesOrCommasOnceExpanded() {
        let found = problems("""
            jobs:
              a:
                matrix: { os: ["linux x", "mac,os"] }
                labels: ["${os}"]
                steps: ["true"]
              b:
                labels: ["", "one two"]
                steps: ["true"]
            """)
        #expect(found == [
            ".gitci.yml:4:14: label '${os}' of job 'a' is 'linux x' for 'a (os=linux x)': a label must not contain spaces or commas",
            // An empty text is refused where lists of texts are read.
            ".gitci.yml:7:14: each entry of 'labels' of job 'b' must not be empty",
            ".gitci.yml:7:18: label 'one two' of job 'b': a label must not contain spaces or commas",
        ])
    }

    @Test func labelErrorsAreReportedWithTheFilesOtherErrors() {
        let found = problems("""
            jobs:
              build:
                matrix: { os: [linux] }
                labels: ["${arch}"]
                needs: [nothing]
                stpes: ["true"]
            """)
        #expect(found.contains { $0.hasPrefix(".gitci.yml:4:14: label '${arch}' of job 'build' names 'arch'") }, "\(found)")
        #expect(found.contains { $0.contains("unknown key 'stpes'") || $0.contains("stpes") }, "\(found)")
    }

    /// The expanded labels are part of what the job is (its cache key): a combination for
    /// another platform never reuses this one's result.
    @Test func theExpandedLabelsAreInTheJobsDefinition() throws {
        let plan = try plan("""
            jobs:
              build:
                matrix: { os: [linux] }
                labels: ["${os}"]
                steps: ["true"]
            """)
        #expect(JobDefinition.canonicalText(of: plan.jobs[0]).contains("labels 5:linux\n"))
    }
}
