import Foundation
import Testing
import TestSupport

/// `gitci run --sandbox`: the server's sandbox, asked for on a laptop.
@Suite struct SandboxRunTests {
    @Test func runSandboxedProtectsTheRepositoryAndEndsTheJobsProcesses() async throws {
        let marker = ProcessTable.uniqueSleepDuration()
        let repo = try repository(pipeline: """
            jobs:
              check:
                steps:
                  - setsid sh -c 'trap "" TERM; sleep \(marker)' > /dev/null 2>&1 &
                  - test "$(readlink /proc/self/ns/pid)" != "\(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))"
                  - touch "$REPO/.git/owned" "$REPO/owned" 2>/dev/null || true
                  - if cat "$REPO/.git/config" 2>/dev/null; then exit 1; fi
                  - echo cached > "$HOME/.cache/kept"; touch "$GITCI_WORKSPACE/written" /tmp/written
            """)
        let run = try GitciBinary.run(["run", "--sandbox", "--commit", "HEAD"], in: repo.path, environment: ["REPO": repo.path])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // Seen from outside: a step's writes outside its workspace and HOME went nowhere.
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.git/owned"))
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/owned"))
        #expect(FileManager.default.fileExists(atPath: repo.path + "/.git/gitci/home/.cache/kept"))
        #expect(ProcessTable.processes(containing: "sleep \(marker)").isEmpty)

        // Without --sandbox, steps run straight on the machine: in its PID namespace.
        let plain = try GitciBinary.run(["run", "--commit", "HEAD"], in: repo.path, environment: ["REPO": repo.path])
        #expect(plain.status == 1)
        _ = await ProcessTable.survivors(of: marker, timeout: 0)
    }

    @Test func gitciInstalledUnderTmpStillStartsItsSandbox() throws {
        // The sandbox's /tmp is empty: the init beside a gitci there must be shown all the same.
        let folder = TemporaryDirectory("gitci-installed")
        for name in ["gitci", "gitci-sandbox-init"] {
            let built = ((GitciBinary.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
            try FileManager.default.copyItem(atPath: built, toPath: folder.url(name))
        }
        let repo = try repository(pipeline: "jobs: {a: {steps: [\"test -w $GITCI_WORKSPACE\"]}}")
        let run = try Shell.run([folder.url("gitci"), "run", "--sandbox", "--commit", "HEAD"], in: repo.path)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }
}
