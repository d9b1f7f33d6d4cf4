import Foundation
import GitKit
import Pipeline
import Runner

/// `gitci-bench-notes cachekey REPO REV JOB`: the cache key of JOB of the pipeline at REV, as a
/// run computes it before any job starts (the digest of its `inputs:` in REV's tree, then the
/// key), 101 times in one process; prints the median wall time of one key in ms.
/// scripts/bench.py judges it in a repository of 50,000 files.
enum CacheKeyBench {
    static func runIfAsked() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "cachekey" else { return }
        guard arguments.count == 4 else {
            FileHandle.standardError.write(Data("usage: gitci-bench-notes cachekey REPO REV JOB\n".utf8))
            exit(2)
        }
        do {
            let repository = try Repository.open(arguments[1])
            let commit = try repository.resolveCommit(arguments[2])
            let plan = try PipelineSource.plan(PipelineSource.read(at: commit, in: repository).bytes)
            guard let job = plan.job(named: arguments[3]) else {
                FileHandle.standardError.write(Data("gitci-bench-notes cachekey: no job \(arguments[3])\n".utf8))
                exit(2)
            }
            let patterns = InputPatterns(job.config.inputs)
            var samples: [Double] = []
            var key: String?
            for _ in 0..<101 {
                // A repository opened afresh each time, as each run opens its own: no tree is in
                // libgit2's object cache yet.
                let fresh = try Repository.open(arguments[1])
                let start = ContinuousClock.now
                let digest = try CacheKey.inputsDigest(of: commit, patterns: patterns, in: fresh)
                key = CacheKey.compute(job: job, inputsDigest: digest, repoCommits: [:], variables: [:])
                samples.append(milliseconds(ContinuousClock.now - start))
            }
            guard key != nil else { exit(1) }
            print(format(samples.sorted()[samples.count / 2]))
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("gitci-bench-notes cachekey: \(error)\n".utf8))
            exit(1)
        }
    }
}
