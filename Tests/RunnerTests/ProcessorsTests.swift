import Foundation
import Runner
import Testing

/// Jobs at once by default: read with plain system calls, it must still answer what
/// Foundation answers (processors this process may use, capped by a cgroup CPU quota).
@Suite struct ProcessorsTests {
    @Test func theDefaultParallelismIsWhatFoundationCounts() {
        #expect(Processors.available >= 1)
        #expect(Processors.available == ProcessInfo.processInfo.activeProcessorCount)
    }
}
