import Foundation
import Testing
import TestSupport

/// Many pushes at once, each starting a hook that queues it and tries to start a worker: every
/// push is built, and built once.
@Suite struct ConcurrentPushTests {
    @Test func twentyConcurrentPushesAreEachBuiltExactlyOnce() async throws {
        let fixture = try ServerFixture(pipeline: """
            jobs:
              hello:
                steps: ['echo "$GITCI_COMMIT" >> {scratch}/built']
            """)
        let made = try Shell.run(["sh", "-c", """
            for i in $(seq 1 20); do
              c=$(git commit-tree -p main -m "push $i" 'main^{tree}') || exit 1
              git update-ref "refs/heads/push-$i" "$c" || exit 1
            done
            """], in: fixture.clone.path)
        #expect(made.status == 0, "\(made.stderr)")
        // Twenty `git push` processes at once, into a server whose queue does not exist yet
        // (the first hooks race to create it); each one's exit status is kept. (No `wait`: sh
        // started by Foundation inherits a blocked SIGCHLD and its `wait` would never return.)
        let started = try Shell.run(["sh", "-c", """
            for i in $(seq 1 20); do
              ( git push -q origin "push-$i" > "$1/push-$i.out" 2>&1
                echo $? > "$1/push-$i.tmp"; mv "$1/push-$i.tmp" "$1/push-$i.status" ) &
            done
            """, "sh", fixture.scratch.path], in: fixture.clone.path)
        #expect(started.status == 0)
        let statusFiles = (1...20).map { fixture.scratch.url("push-\($0).status") }
        #expect(await Poll.until(timeout: 60) { statusFiles.allSatisfy { FileManager.default.fileExists(atPath: $0) } })
        for i in 1...20 {
            let status = (try? String(contentsOfFile: statusFiles[i - 1], encoding: .utf8)) ?? "(none)"
            let output = (try? String(contentsOfFile: fixture.scratch.url("push-\(i).out"), encoding: .utf8)) ?? ""
            #expect(status == "0\n", "push \(i): \(output)")
        }
        try fixture.drain()

        var commits: [String] = []
        var reusedFrom: [String] = []
        for i in 1...20 {
            let commit = try fixture.clone.git(["rev-parse", "push-\(i)"])
            commits.append(commit)
            let records = try fixture.pipelineRecords(commit)
            #expect(records.count == 1, "push-\(i)")
            #expect(records.first?["status"] as? String == "passed")
            // Every push has the same tree: a build that finds an earlier one's passed result
            // reuses it rather than running its step again.
            let job = try fixture.notes(commit).filter { $0["job"] as? String == "hello" }
            #expect(job.count == 1, "push-\(i)")
            if job.first?["status"] as? String == "reused", let from = job.first?["reused_from"] as? String { reusedFrom.append(from) }
        }
        let built = fixture.lines("built")
        #expect(Set(built).count == built.count && Set(built).isSubset(of: commits), "no push built twice, and nothing else: \(built)")
        #expect(built.count + reusedFrom.count == 20, "every push built or reused")
        #expect(Set(reusedFrom).isSubset(of: Set(built)))
        #expect(try fixture.plans().count == 20)
    }
}
