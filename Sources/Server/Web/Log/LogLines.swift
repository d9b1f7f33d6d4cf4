import Foundation

/// A log's lines as the job page shows them: each its own element with an anchor (`L<number>`)
/// and a visible number linking to it; a step's header (`==> step N/M: name`, JobExecutor's)
/// anchored as `step-N` and marked, the failed step's header marked as failed.
///
/// Each line's HTML stands on its own (no element spans two lines), so that lines can be
/// prepended or appended in the browser; colours carry over from line to line within one render.
enum LogLines {
    struct Rendered {
        var html: String
        var lines: Int
    }

    /// The HTML of the lines in `bytes`, the first numbered `firstLine`. A last line without its
    /// newline is shown all the same: the caller decides whether `bytes` may end mid-line.
    static func html(_ bytes: [UInt8], firstLine: Int, failedStep: Int?) -> Rendered {
        var html = ""
        html.reserveCapacity(bytes.count + bytes.count / 2)
        var style = AnsiStyle.plain
        var number = firstLine
        bytes.withUnsafeBytes { buffer in
            var start = 0
            while start < buffer.count {
                let end = buffer[start...].firstIndex(of: 10) ?? buffer.count
                html += line(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), number: number, style: &style, failedStep: failedStep)
                number += 1
                start = end + 1
            }
        }
        return Rendered(html: html, lines: number - firstLine)
    }

    static func line(_ bytes: UnsafeRawBufferPointer, number: Int, style: inout AnsiStyle, failedStep: Int?) -> String {
        let text = AnsiText.html(bytes, style: &style)
        var open = "<span class=\"line\" id=\"L\(number)\"><a class=\"ln\" href=\"#L\(number)\">\(number)</a>"
        if let step = StepHeader(bytes) {
            let failed = step.number == failedStep
            open = "<span class=\"line\(failed ? " failed-step" : "")\" id=\"L\(number)\"><a class=\"ln\" href=\"#L\(number)\">\(number)</a>"
            return open + "<span class=\"step\(failed ? " failed" : "")\" id=\"step-\(step.number)\">\(text)</span></span>"
        }
        return open + text + "</span>"
    }
}

/// A step's header line as JobExecutor writes it: `==> step N/M: name` (and ` skipped (if: …)`).
struct StepHeader: Equatable, Sendable {
    static let prefix = Array("==> step ".utf8)

    let number: Int
    let count: Int
    let name: String

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > Self.prefix.count, bytes.starts(with: Self.prefix) else { return nil }
        var index = Self.prefix.count
        func digits() -> Int? {
            var value: Int?
            while index < bytes.count, (0x30...0x39).contains(bytes[index]), (value ?? 0) < 100_000_000 {
                value = (value ?? 0) * 10 + Int(bytes[index] - 0x30)
                index += 1
            }
            return value
        }
        guard let number = digits(), index < bytes.count, bytes[index] == UInt8(ascii: "/") else { return nil }
        index += 1
        guard let count = digits(), index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
        self.number = number
        self.count = count
        name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(index + 1)...]), as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    init?(_ bytes: [UInt8]) {
        guard let header = bytes.withUnsafeBytes({ StepHeader($0) }) else { return nil }
        self = header
    }
}
