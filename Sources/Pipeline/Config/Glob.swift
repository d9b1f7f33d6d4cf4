/// Branch and path patterns: `*` matches within one path segment, `**` across segments,
/// `?` one character; everything else literally. No character classes, so no pattern can be
/// malformed and none can take more than quadratic time.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(pattern.unicodeScalars)
        let text = Array(text.unicodeScalars)
        // reachable[j]: the pattern prefix consumed so far can match text prefix of length j.
        var reachable = [Bool](repeating: false, count: text.count + 1)
        reachable[0] = true
        var index = 0
        while index < pattern.count {
            let symbol = pattern[index]
            var next = [Bool](repeating: false, count: text.count + 1)
            if symbol == "*" {
                let crossesSlash = index + 1 < pattern.count && pattern[index + 1] == "*"
                if crossesSlash { index += 1 }
                var carrying = false
                for position in 0...text.count {
                    if reachable[position] { carrying = true }
                    if carrying { next[position] = true }
                    if position < text.count, !crossesSlash, text[position] == "/" { carrying = false }
                }
                // `**/` also matches nothing at all: `src/**/x` matches `src/x`.
                if crossesSlash, index + 1 < pattern.count, pattern[index + 1] == "/" {
                    for position in 0...text.count where reachable[position] {
                        var skip = next
                        skip[position] = true
                        next = skip
                    }
                    var afterSlash = [Bool](repeating: false, count: text.count + 1)
                    for position in 0..<text.count where next[position] && text[position] == "/" {
                        afterSlash[position + 1] = true
                    }
                    for position in 0...text.count where reachable[position] { afterSlash[position] = true }
                    reachable = afterSlash
                    index += 2
                    continue
                }
            } else {
                for position in 0..<text.count where reachable[position] {
                    if symbol == "?" ? text[position] != "/" : text[position] == symbol {
                        next[position + 1] = true
                    }
                }
            }
            reachable = next
            index += 1
        }
        return reachable[text.count]
    }
}
