/// tox's generative environment names, expanded as tox 4 does (`tox/config/loader/ini/factor.py`):
/// `py3{10,11}-django{42,50}` is the product of its brace groups in order, `{10-13}` a numeric
/// range, `{11-}` and `{-13}` open ranges over the Python 3 minors tox knows, and commas outside
/// braces separate names. The scanning below follows tox's regular expressions case by case,
/// because `tox -l` is the reference: a name tox would print differently is a bug here.
enum ToxFactors {
    /// The bounds tox (4.67) gives open ranges: `{11-}` ends at 15, `{-13}` starts at 11.
    static let openRangeLowest = 11
    static let openRangeHighest = 15

    struct InvalidName: Error {
        let name: String
    }

    /// An `env_list` value: its lines, each expanded, duplicates dropped (tox's `EnvList`).
    static func envList(_ value: String) throws(InvalidName) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        for line in value.split(separator: "\n", omittingEmptySubsequences: false) {
            for name in try expand(String(line)) where seen.insert(name).inserted {
                names.append(name)
            }
        }
        return names
    }

    /// One line of names: `a, py3{10-12}-x{1,2}`.
    static func expand(_ line: String) throws(InvalidName) -> [String] {
        var names: [String] = []
        for entry in topLevelEntries(expandRanges(line)) {
            let elements = braceElements(entry.trimmingWhitespace())
            var variants = [""]
            for element in elements {
                let choices = element.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
                variants = variants.flatMap { prefix in choices.map { prefix + $0 } }
            }
            for variant in variants {
                for factor in variant.split(separator: "-", omittingEmptySubsequences: false) where !isFactor(factor) {
                    throw InvalidName(name: variant)
                }
                names.append(variant)
            }
        }
        return names
    }

    // MARK: - Ranges

    /// tox's `expand_ranges`: `10-13` followed by `,` or `}` and not preceded by a word
    /// character, `.` or `-` becomes `10,11,12,13`; `11-` and (after `{` or `,`) `-13` are open.
    static func expandRanges(_ value: String) -> String {
        let characters = Array(value)
        var result = ""
        var index = 0
        func digits(from start: Int) -> Int {
            var end = start
            while end < characters.count, characters[end].isASCIIDigit { end += 1 }
            return end
        }
        func isDelimiter(_ position: Int) -> Bool {
            position < characters.count && (characters[position] == "," || characters[position] == "}")
        }
        while index < characters.count {
            let character = characters[index]
            let previous: Character? = index > 0 ? characters[index - 1] : nil
            if character.isASCIIDigit {
                let startEnd = digits(from: index)
                let openable = previous.map { !($0.isWordCharacter || $0 == "." || $0 == "-") } ?? true
                if openable, startEnd < characters.count, characters[startEnd] == "-" {
                    let endEnd = digits(from: startEnd + 1)
                    if endEnd > startEnd + 1, isDelimiter(endEnd),
                       let start = Int(String(characters[index..<startEnd])), let end = Int(String(characters[(startEnd + 1)..<endEnd])) {
                        let step = start < end ? 1 : -1
                        result += stride(from: start, through: end, by: step).map(String.init).joined(separator: ",")
                        result.append(characters[endEnd])
                        index = endEnd + 1
                        continue
                    }
                    if isDelimiter(startEnd + 1), let start = Int(String(characters[index..<startEnd])) {
                        result += openRange(start: start, stop: nil).map(String.init).joined(separator: ",")
                        result.append(characters[startEnd + 1])
                        index = startEnd + 2
                        continue
                    }
                }
                // A single number (or one that opens nothing) is kept, and so are its digits.
                result += String(characters[index..<startEnd])
                index = startEnd
                continue
            }
            if character == "-", previous == "{" || previous == "," {
                let endEnd = digits(from: index + 1)
                if endEnd > index + 1, isDelimiter(endEnd), let stop = Int(String(characters[(index + 1)..<endEnd])) {
                    result += openRange(start: nil, stop: stop).map(String.init).joined(separator: ",")
                    result.append(characters[endEnd])
                    index = endEnd + 1
                    continue
                }
            }
            result.append(character)
            index += 1
        }
        return result
    }

    static func openRange(start: Int?, stop: Int?) -> [Int] {
        let first = start ?? openRangeLowest
        let last = stop ?? openRangeHighest
        guard first <= last else { return [start == nil ? last : first] }
        return Array(first...last)
    }

    // MARK: - Splitting

    /// The length of a run of brace groups (`{a,b}{c}`) starting at `start`, as tox's
    /// `(\{[^}]+\})+`; 0 when none starts there.
    private static func braceRun(_ characters: [Character], from start: Int) -> Int {
        var position = start
        while position < characters.count, characters[position] == "{" {
            var close = position + 1
            while close < characters.count, characters[close] != "}" { close += 1 }
            guard close < characters.count, close > position + 1 else { break }
            position = close + 1
        }
        return position - start
    }

    /// The value split at commas outside brace groups, empty entries left out (tox's split on
    /// `((?:\{[^}]+\})+)|,` and grouping of the non-empty pieces).
    static func topLevelEntries(_ value: String) -> [String] {
        let characters = Array(value)
        var entries: [String] = []
        var current = ""
        var index = 0
        while index < characters.count {
            let run = characters[index] == "{" ? braceRun(characters, from: index) : 0
            if run > 0 {
                current += String(characters[index..<(index + run)])
                index += run
            } else if characters[index] == "," {
                if !current.isEmpty { entries.append(current) }
                current = ""
                index += 1
            } else {
                current.append(characters[index])
                index += 1
            }
        }
        if !current.isEmpty { entries.append(current) }
        return entries
    }

    /// Text and brace contents alternating, as Python's `re.split(r"\{([^}]+)\}", entry)`.
    static func braceElements(_ entry: String) -> [String] {
        let characters = Array(entry)
        var elements: [String] = []
        var text = ""
        var index = 0
        while index < characters.count {
            if characters[index] == "{" {
                var close = index + 1
                while close < characters.count, characters[close] != "}" { close += 1 }
                if close < characters.count, close > index + 1 {
                    elements.append(text)
                    elements.append(String(characters[(index + 1)..<close]))
                    text = ""
                    index = close + 1
                    continue
                }
            }
            text.append(characters[index])
            index += 1
        }
        elements.append(text)
        return elements
    }

    /// tox's `_FACTOR_RE`: empty, or an optional `!` then word characters, `.`, glob characters
    /// (`*`, `?`, `[`, `]`) and `!` right after `[`.
    static func isFactor(_ factor: Substring) -> Bool {
        if factor.isEmpty { return true }
        let body = factor.first == "!" ? factor.dropFirst() : factor
        guard !body.isEmpty else { return false }
        var previous: Character?
        for character in body {
            let allowed = character.isWordCharacter || ".*?[]".contains(character) || (character == "!" && previous == "[")
            guard allowed else { return false }
            previous = character
        }
        return true
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    /// Python's `\w` on text: letters, digits, the underscore.
    var isWordCharacter: Bool { isLetter || isNumber || self == "_" }
}
