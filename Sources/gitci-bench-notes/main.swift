// gitci-bench-notes: how fast gitci writes and reads results as git notes.
//
//   gitci-bench-notes --count N --dir PATH
//   gitci-bench-notes checkout plain|workspace REPO COMMIT DIR   (CheckoutBench)
//   gitci-bench-notes cachekey REPO REV JOB                       (CacheKeyBench)
//
// In fresh repositories under PATH: (a) N single appends, one notes commit each; (b) the same N
// notes in batches of 100 per commit; (c) N writes through libgit2's git_note_create (flat tree,
// no compare-and-swap) for comparison; then reads and a notes diff on (a)'s result. Note targets
// are made-up object ids: a notes tree does not need the annotated objects to exist.
//
// Wall times on a shared machine swing with its load, hence the CPU time next to them. Give a
// PATH that does not exist yet: right after deleting many files (an earlier run), ext4 spends
// milliseconds per new file skipping recently freed inodes, which inflates the first writes.
import Foundation
import GitKit

struct Options {
    var count = 10_000
    var directory = ""
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    while let argument = arguments.popFirst() {
        switch argument {
        case "--count":
            guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else { usage() }
            options.count = value
        case "--dir":
            guard let value = arguments.popFirst() else { usage() }
            options.directory = value
        default:
            usage()
        }
    }
    if options.directory.isEmpty { usage() }
    return options
}

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: gitci-bench-notes --count N --dir PATH\n".utf8))
    exit(2)
}

func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }

/// CPU time of this process so far, in ms: on a shared machine, wall time alone says little.
func processCPUMilliseconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1e6
}

/// A result line as gitci writes it, so blobs have a realistic size.
func resultLine(_ index: Int) -> String {
    #"{"v":1,"kind":"job","pipeline":"p\#(index)","job":"test (python=3.12)","status":"passed","started":1700000000,"duration_ms":\#(index % 997),"node":"bench"}"#
}

/// Megabytes under `path` (the object database grows with every write).
func megabytes(under path: String) -> Double {
    guard let files = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total = 0
    for case let file as String in files {
        let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).appendingPathComponent(file))
        total += (attributes?[.size] as? Int) ?? 0
    }
    return Double(total) / 1_048_576
}

func freshRepository(_ path: String) throws -> Repository {
    try? FileManager.default.removeItem(atPath: path)
    return try Repository.create(path, bare: true)
}

/// Times `body(i)` for every i; prints the average and the first and last tenth (at most 1000).
func measureEach(_ label: String, count: Int, unit: String, repository: String,
                 _ body: (Int) throws -> Void) rethrows {
    let clock = ContinuousClock()
    var times: [Double] = []
    times.reserveCapacity(count)
    let cpuStart = processCPUMilliseconds()
    for index in 0..<count {
        let start = clock.now
        try body(index)
        times.append(milliseconds(clock.now - start))
    }
    let window = max(1, min(1000, count / 10))
    let average = times.reduce(0, +) / Double(count)
    let cpu = (processCPUMilliseconds() - cpuStart) / Double(count)
    let first = times.prefix(window).reduce(0, +) / Double(window)
    let last = times.suffix(window).reduce(0, +) / Double(window)
    print("\(label): \(count) \(unit)s, \(format(average)) ms/\(unit) (first \(window): \(format(first)), last \(window): \(format(last))), cpu \(format(cpu)) ms/\(unit), \(format(megabytes(under: repository))) MB")
}

CheckoutBench.runIfAsked()
CacheKeyBench.runIfAsked()
TestsBench.runIfAsked()
let options = parseOptions()
let ref = "refs/notes/gitci"
let targets = (0..<options.count).map { ObjectID.blobID(of: Array("bench target \($0)".utf8)) }
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)

// (a) One note per appendNotes call: the cost of recording one finished job.
let singlePath = (options.directory as NSString).appendingPathComponent("single.git")
let single = try freshRepository(singlePath)
try measureEach("notes single", count: options.count, unit: "write", repository: singlePath) { index in
    _ = try single.appendNotes([NoteAppend(commit: targets[index], text: resultLine(index))], ref: ref, message: "bench")
}

// (b) 100 notes per call: a worker flushing several results at once.
let batchedPath = (options.directory as NSString).appendingPathComponent("batched.git")
let batched = try freshRepository(batchedPath)
let batchSize = 100
let batches = (options.count + batchSize - 1) / batchSize
let batchStart = ContinuousClock.now
for batch in 0..<batches {
    let range = (batch * batchSize)..<min(options.count, (batch + 1) * batchSize)
    _ = try batched.appendNotes(range.map { NoteAppend(commit: targets[$0], text: resultLine($0)) }, ref: ref, message: "bench")
}
let batchTotal = milliseconds(ContinuousClock.now - batchStart)
print("notes batched: \(options.count) writes in \(batches) calls of \(batchSize), \(format(batchTotal / Double(options.count))) ms/write, \(format(batchTotal / Double(batches))) ms/call, \(format(megabytes(under: batchedPath))) MB")

// (c) libgit2's git_note_create, for comparison.
let libgit2Path = (options.directory as NSString).appendingPathComponent("libgit2.git")
let libgit2 = try freshRepository(libgit2Path)
try measureEach("notes git_note_create", count: options.count, unit: "write", repository: libgit2Path) { index in
    try libgit2.benchmarkOnlyCreateNoteWithLibgit2(commit: targets[index], text: resultLine(index), ref: ref)
}

// Reads and an incremental diff on (a)'s notes.
let reads = min(1000, options.count)
var generator = SystemRandomNumberGenerator()
try measureEach("notes read", count: reads, unit: "read", repository: singlePath) { _ in
    guard try single.note(for: targets[Int.random(in: 0..<options.count, using: &generator)], ref: ref) != nil else {
        fatalError("a note written by (a) is missing")
    }
}
guard let before = single.referenceTarget(ref) else { fatalError("\(ref) is missing after (a)") }
let after = try single.appendNotes([NoteAppend(commit: targets[0], text: "one more")], ref: ref, message: "bench")
let diffStart = ContinuousClock.now
let changes = try single.changedNotes(from: before, to: after)
print("notes diff: \(changes.count) change among \(options.count) notes in \(format(milliseconds(ContinuousClock.now - diffStart))) ms")
let listStart = ContinuousClock.now
let all = try single.notes(at: after)
print("notes list: \(all.count) notes in \(format(milliseconds(ContinuousClock.now - listStart))) ms")
