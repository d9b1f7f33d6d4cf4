import Foundation

/// The look SGR escape codes give the text that follows them, in the 16 colours a style sheet
/// defines (256-colour and true-colour codes are mapped to the nearest of them).
struct AnsiStyle: Equatable, Sendable {
    /// 0–7 normal, 8–15 bright; nil: the log's own colour.
    var foreground: Int?
    var background: Int?
    var bold = false
    var dim = false
    var italic = false
    var underline = false

    static let plain = AnsiStyle()

    static let colourNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// The classes `style.css` colours (`ansi-red`, `ansi-bright-red`, `ansi-bg-red`, `ansi-bold`...).
    var classes: String {
        var names: [String] = []
        if let foreground { names.append("ansi-" + Self.colourName(foreground)) }
        if let background { names.append("ansi-bg-" + Self.colourName(background)) }
        if bold { names.append("ansi-bold") }
        if dim { names.append("ansi-dim") }
        if italic { names.append("ansi-italic") }
        if underline { names.append("ansi-underline") }
        return names.joined(separator: " ")
    }

    private static func colourName(_ colour: Int) -> String {
        colour < 8 ? colourNames[colour] : "bright-" + colourNames[colour & 7]
    }

    /// Applies the parameters of one `ESC [ … m` sequence.
    mutating func apply(_ parameters: [Int?]) {
        if parameters.isEmpty {
            self = .plain
            return
        }
        var index = 0
        while index < parameters.count {
            let code = parameters[index] ?? 0
            index += 1
            switch code {
            case 0: self = .plain
            case 1: bold = true
            case 2: dim = true
            case 3: italic = true
            case 4: underline = true
            case 22: bold = false; dim = false
            case 23: italic = false
            case 24: underline = false
            case 30...37: foreground = code - 30
            case 39: foreground = nil
            case 40...47: background = code - 40
            case 49: background = nil
            case 90...97: foreground = code - 90 + 8
            case 100...107: background = code - 100 + 8
            case 38, 48:
                var colour: Int?
                if index < parameters.count, parameters[index] == 5 {
                    colour = parameters.count > index + 1 ? parameters[index + 1].flatMap(Self.nearest(indexed:)) : nil
                    index += 2
                } else if index < parameters.count, parameters[index] == 2 {
                    if parameters.count > index + 3, let red = parameters[index + 1], let green = parameters[index + 2],
                       let blue = parameters[index + 3] {
                        colour = Self.nearest(red: red, green: green, blue: blue)
                    }
                    index += 4
                }
                if code == 38 { foreground = colour } else { background = colour }
            default: break
            }
        }
    }

    /// The xterm palette of the 16 colours, to find the nearest of them.
    private static let palette: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    static func nearest(indexed colour: Int) -> Int? {
        switch colour {
        case 0..<16: return colour
        case 16..<232:
            let cube = colour - 16
            let level = { (step: Int) in step == 0 ? 0 : 55 + step * 40 }
            return nearest(red: level(cube / 36), green: level(cube / 6 % 6), blue: level(cube % 6))
        case 232..<256:
            let gray = 8 + (colour - 232) * 10
            return nearest(red: gray, green: gray, blue: gray)
        default: return nil
        }
    }

    static func nearest(red: Int, green: Int, blue: Int) -> Int {
        var best = 0, bestDistance = Int.max
        for (index, entry) in palette.enumerated() {
            let distance = (entry.0 - red) * (entry.0 - red) + (entry.1 - green) * (entry.1 - green) + (entry.2 - blue) * (entry.2 - blue)
            if distance < bestDistance { (best, bestDistance) = (index, distance) }
        }
        return best
    }
}

/// Terminal output made readable outside a terminal: SGR colour codes become styled runs, every
/// other escape sequence (cursor movement, OSC titles and links, charset switches) and control
/// character is dropped, and a carriage return starts the line over, as a progress bar that
/// redraws itself would look when it is done.
enum AnsiText {
    /// Calls `text` with each run of printable bytes of `line` (no newline in it) and the style
    /// it has; `restart` when a carriage return throws away what came before it on the line.
    /// `style` carries over from line to line, as in a terminal.
    static func parse(_ line: UnsafeRawBufferPointer, style: inout AnsiStyle,
                      text: (AnsiStyle, UnsafeRawBufferPointer) -> Void, restart: () -> Void) {
        var count = line.count
        // CRLF line ends are not a redraw.
        while count > 0, line[count - 1] == 13 { count -= 1 }
        var index = 0
        var runStart = 0
        func flush(_ end: Int) {
            if end > runStart { text(style, UnsafeRawBufferPointer(rebasing: line[runStart..<end])) }
        }
        while index < count {
            let byte = line[index]
            if byte >= 0x20 && byte != 0x7F || byte == 9 {
                index += 1
                continue
            }
            flush(index)
            if byte == 13 {
                restart()
                index += 1
            } else if byte == 0x1B {
                index = escape(line, from: index, count: count, style: &style)
            } else {
                index += 1
            }
            runStart = index
        }
        flush(count)
    }

    /// Skips the escape sequence at `start` (an ESC), applying it when it is SGR; returns the
    /// index after it.
    private static func escape(_ line: UnsafeRawBufferPointer, from start: Int, count: Int, style: inout AnsiStyle) -> Int {
        var index = start + 1
        guard index < count else { return index }
        switch line[index] {
        case UInt8(ascii: "["):
            index += 1
            let parametersStart = index
            // Parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, one final byte 0x40–0x7E.
            while index < count, (0x20...0x3F).contains(line[index]) { index += 1 }
            guard index < count else { return count }
            let final = line[index]
            if final == UInt8(ascii: "m") {
                style.apply(parameters(UnsafeRawBufferPointer(rebasing: line[parametersStart..<index])))
            }
            return index + 1
        case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "_"), UInt8(ascii: "^"), UInt8(ascii: "X"):
            // OSC and other strings: up to BEL or ST (ESC \).
            index += 1
            while index < count {
                if line[index] == 7 { return index + 1 }
                if line[index] == 0x1B, index + 1 < count, line[index + 1] == UInt8(ascii: "\\") { return index + 2 }
                index += 1
            }
            return count
        default:
            // ESC, intermediate bytes, one final byte (`ESC ( B`, `ESC 7`, `ESC =`).
            while index < count, (0x20...0x2F).contains(line[index]) { index += 1 }
            return min(count, index + 1)
        }
    }

    private static func parameters(_ bytes: UnsafeRawBufferPointer) -> [Int?] {
        guard !bytes.isEmpty else { return [] }
        var values: [Int?] = []
        var current: Int?
        for byte in bytes {
            if byte == UInt8(ascii: ";") || byte == UInt8(ascii: ":") {
                values.append(current)
                current = nil
            } else if (0x30...0x39).contains(byte) {
                current = min(99_999, (current ?? 0) * 10 + Int(byte - 0x30))
            } else {
                // Private parameters (`?`, `<`…): not an SGR we know.
                return [-1]
            }
        }
        values.append(current)
        return values
    }

    // MARK: - Renderings

    /// The line as HTML: escaped text in `<span class="ansi-…">` runs, no span left open.
    static func html(_ line: UnsafeRawBufferPointer, style: inout AnsiStyle) -> String {
        var runs: [(AnsiStyle, String)] = []
        parse(line, style: &style, text: { runStyle, bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if let last = runs.last, last.0 == runStyle {
                runs[runs.count - 1].1 += text
            } else {
                runs.append((runStyle, text))
            }
        }, restart: { runs.removeAll() })
        var html = ""
        for (runStyle, text) in runs {
            if runStyle == .plain {
                html += SVGText.escape(text)
            } else {
                html += "<span class=\"\(runStyle.classes)\">" + SVGText.escape(text) + "</span>"
            }
        }
        return html
    }

    static func html(_ line: [UInt8], style: inout AnsiStyle) -> String {
        line.withUnsafeBytes { html($0, style: &style) }
    }

    /// The line's text as a terminal would leave it, without escape codes, as bytes.
    static func plainBytes(_ line: UnsafeRawBufferPointer) -> [UInt8] {
        var style = AnsiStyle.plain
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.count)
        parse(line, style: &style, text: { _, run in bytes.append(contentsOf: run) }, restart: { bytes.removeAll(keepingCapacity: true) })
        return bytes
    }

    static func plain(_ line: [UInt8]) -> String {
        String(decoding: line.withUnsafeBytes { plainBytes($0) }, as: UTF8.self)
    }
}
