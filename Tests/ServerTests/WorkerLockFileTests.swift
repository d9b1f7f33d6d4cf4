import Foundation
import HookIntake
import Testing
import TestSupport

/// The worker lock's file holds the holder's pid, written over in place (never truncated).
@Suite struct WorkerLockFileTests {
    @Test func aShorterPidWrittenOverALongerOneLeavesNothingOfIt() throws {
        let state = TemporaryDirectory("gitci-lock")
        let path = WorkerLock.path(in: state.path)
        // What an earlier holder left: longer than any pid, in the format earlier versions wrote.
        try "99999999999\n".write(toFile: path, atomically: false, encoding: .utf8)
        let lock = try #require(WorkerLock.acquire(in: state.path, wait: false))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == String(getpid()), "\(text.debugDescription)")
        #expect(text.hasSuffix("\n") && text.filter { $0 == "\n" }.count == 1, "\(text.debugDescription)")
        // A hook reads it back (flock conflicts between two opens of the file, even in one process).
        guard case .worker(let pid) = WorkerLock.holder(in: state.path) else {
            Issue.record("the lock is not seen held")
            return
        }
        #expect(pid == getpid())
        withExtendedLifetime(lock) {}
    }
}
