/// The one way text reaches the markup gitci writes itself (SVG drawings, log lines, search
/// hits) rather than through a template: every name, message, line and link passes here,
/// because all of them may come from a repository (a branch named `<img src=x onerror=alert(1)>`).
package enum SVGText {
    /// `text` made safe for XML character data and for attribute values in either quotes.
    ///
    /// Characters XML 1.0 forbids (control characters other than tab, line feed and carriage
    /// return, U+FFFE, U+FFFF) are dropped: one of them makes the whole document unreadable to
    /// an XML parser, and a badge is read as XML. So are the C1 controls (U+0080–U+009F), which
    /// XML allows but which only ever show as boxes.
    package static func escape(_ text: String) -> String {
        // Most text (names, paths, durations) is plain ASCII that needs nothing: a page draws
        // thousands of these.
        if text.utf8.allSatisfy(isPlainASCII) { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default:
                if isAllowed(scalar) { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }

    /// Printable ASCII that XML takes as it is, in text and in either quotes.
    static func isPlainASCII(_ byte: UInt8) -> Bool {
        (0x20...0x7E).contains(byte) && byte != UInt8(ascii: "&") && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
            && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "'")
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return true
        case 0x00...0x1F, 0x7F...0x9F, 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }

    /// `href`, escaped for an attribute, when it is a link a page may carry: a path, a relative
    /// link or an http(s) address. Any other scheme (`javascript:`, `data:`) gives nil, also when
    /// hidden behind the tabs, line breaks and controls browsers strip from addresses.
    package static func link(_ href: String?) -> String? {
        guard let href else { return nil }
        // The pages' own links: printable ASCII without spaces or a scheme, as it is.
        if !href.isEmpty, href.utf8.allSatisfy({ isPlainASCII($0) && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: ":") }) {
            return href
        }
        // What a browser reads the scheme from: no spaces, tabs, line breaks or controls.
        let compact = String(String.UnicodeScalarView(href.unicodeScalars.filter { $0.value > 0x20 && isAllowed($0) }))
        guard !compact.isEmpty else { return nil }
        if let colon = compact.firstIndex(of: ":"),
           !compact[..<colon].contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            let scheme = compact[..<colon].lowercased()
            guard scheme == "http" || scheme == "https" else { return nil }
        }
        let kept = href.unicodeScalars.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }
        let trimmed = String(String.UnicodeScalarView(kept)).trimmingSpaces
        return escape(trimmed)
    }

    /// `text` cut to at most `width` pixels (estimated, see `TextWidth`) with an ellipsis; whole
    /// characters only, so an accent or an emoji is never split. Not escaped.
    package static func truncate(_ text: String, toWidth width: Double, fontSize: Double) -> String {
        guard TextWidth.estimate(text, fontSize: fontSize) > width else { return text }
        let room = width - TextWidth.estimate("…", fontSize: fontSize)
        var used = 0.0
        var kept = ""
        for character in text {
            let next = TextWidth.estimate(character, fontSize: fontSize)
            guard used + next <= room else { break }
            used += next
            kept.append(character)
        }
        return kept + "…"
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }),
              let last = scalars.lastIndex(where: { $0.value > 0x20 }) else { return "" }
        return String(Substring(scalars[first...last]))
    }
}
