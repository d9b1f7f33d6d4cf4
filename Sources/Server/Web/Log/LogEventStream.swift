import Foundation
import HTTPTypes
import Hummingbird

/// A job's log as Server-Sent Events while it is written: each event carries the HTML of whole
/// lines (one `data:` line each) and has for `id` the byte offset after them, so that a client
/// that reconnects (EventSource sends `Last-Event-ID` by itself) resumes with the next line, none
/// lost or doubled. A line still being written is held back until its newline or the job's end.
/// When the job has ended and all is sent: `event: end` with its status, and the stream closes.
///
/// The file is polled (no inotify on every platform, and a log is written by another process or
/// received from an agent): a read of what grew, then a sleep that holds no thread.
struct LogEventStream: Sendable {
    struct JobState: Sendable {
        /// The log's file; nil while the job has none yet (queued).
        var path: String?
        var finished: Bool
        var status: String
    }

    static let pollInterval: Duration = .milliseconds(250)
    /// How often, at most, whether the job ended is asked while its log does not grow.
    static let statusInterval: Duration = .seconds(1)
    /// A comment now and then keeps proxies from closing a quiet stream.
    static let keepaliveInterval: Duration = .seconds(15)
    /// The most one event carries: a client that reconnects far behind catches up in steps.
    static let eventBytes = 256 << 10

    /// Where the client wants to start (a line start it was sent); the path known when the
    /// request came, and how to learn where the job is now.
    let from: Int64
    let state: @Sendable () -> JobState

    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8",
        .cacheControl: "no-store",
        // nginx buffers answers unless told not to, which would hold events back.
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    var body: ResponseBody {
        ResponseBody { [self] writer in
            try await run(&writer)
            try await writer.finish(nil)
        }
    }

    private func run(_ writer: inout any ResponseBodyWriter) async throws {
        let clock = ContinuousClock()
        var job = state()
        var file = job.path.flatMap(LogFileWindow.open)
        var offset = min(from, file?.size ?? 0)
        var number = file?.lineNumber(at: offset) ?? 1
        var style = AnsiStyle.plain
        var lastWrite = clock.now
        var lastStatus = clock.now
        // Tell the browser to come back quickly when the connection drops.
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        while !Task.isCancelled {
            if let log = file {
                let available = log.currentSize()
                let chunk = log.read(offset..<min(available, offset + Int64(Self.eventBytes)))
                // Whole lines only, unless one line is longer than an event may be.
                let usable = chunk.count == Self.eventBytes ? (chunk.lastIndex(of: 10).map { $0 + 1 } ?? chunk.count)
                    : (chunk.lastIndex(of: 10).map { $0 + 1 } ?? 0)
                if usable > 0 {
                    offset += Int64(usable)
                    try await writer.write(event(Array(chunk[0..<usable]), number: &number, style: &style, id: offset))
                    lastWrite = clock.now
                    continue
                }
            }
            if clock.now - lastStatus >= Self.statusInterval || job.finished {
                lastStatus = clock.now
                job = state()
                if file == nil { file = job.path.flatMap(LogFileWindow.open) }
                if job.finished {
                    try await finish(file, offset: &offset, number: &number, style: &style, status: job.status, writer: &writer)
                    return
                }
            }
            if clock.now - lastWrite >= Self.keepaliveInterval {
                try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                lastWrite = clock.now
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    /// The rest of the log (its last line even without a newline), then `end`.
    private func finish(_ file: LogFileWindow?, offset: inout Int64, number: inout Int, style: inout AnsiStyle, status: String,
                        writer: inout any ResponseBodyWriter) async throws {
        if let file {
            let end = file.currentSize()
            while offset < end {
                let chunk = file.read(offset..<min(end, offset + Int64(Self.eventBytes)))
                guard !chunk.isEmpty else { break }
                let usable = offset + Int64(chunk.count) >= end ? chunk.count : (chunk.lastIndex(of: 10).map { $0 + 1 } ?? chunk.count)
                offset += Int64(usable)
                try await writer.write(event(Array(chunk[0..<usable]), number: &number, style: &style, id: offset))
            }
        }
        let label = StatusLabel(status)
        let data = (try? JSONEncoder().encode(["status": label.text, "symbol": label.symbol, "tone": label.tone]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try await writer.write(ByteBuffer(string: "id: \(offset)\nevent: end\ndata: \(data)\n\n"))
    }

    /// One event: the lines of `bytes`, each its own `data:` line (their HTML holds no newline).
    private func event(_ bytes: [UInt8], number: inout Int, style: inout AnsiStyle, id: Int64) -> ByteBuffer {
        var text = "id: \(id)\n"
        bytes.withUnsafeBytes { buffer in
            var start = 0
            while start < buffer.count {
                let end = buffer[start...].firstIndex(of: 10) ?? buffer.count
                text += "data: " + LogLines.line(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), number: number, style: &style,
                                                 failedStep: nil) + "\n"
                number += 1
                start = end + 1
            }
        }
        return ByteBuffer(string: text + "\n")
    }
}
