public import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
public import Store

/// Reads JUnit XML reports (pytest `--junitxml`, `swift test --xunit-output`, Maven Surefire,
/// jest-junit, go-junit-report) with Foundation's streaming XML parser.
///
/// What the writers have in common: `testcase` elements, inside `testsuite` elements (nested in
/// `testsuites`, or in one another), with `name`, an optional `classname` and `time` in seconds;
/// a `failure`, `error` or `skipped` child says how the case ended (none: it passed), with a
/// `message` attribute and/or a text. `system-out`, `system-err` and `properties` are ignored.
public enum JUnitReport {
    /// Reports larger than this are refused before they are read: a report is a few MB even
    /// for a large suite, and parsing must not take the machine's memory.
    public static let maximumSize: Int64 = 50 * 1024 * 1024
    /// A case's message is cut to this many characters (a full traceback belongs in the log).
    public static let maximumMessage = 1000

    /// Why a report could not be read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ data: Data) throws(Failure) -> [TestCase] {
        guard !data.isEmpty else { throw Failure(description: "an empty file, not a JUnit report") }
        let reader = JUnitReader()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        if !parser.parse() || reader.problem != nil {
            let reason = reader.problem ?? parser.parserError.map(describe) ?? "not well-formed XML"
            throw Failure(description: "\(reason) (line \(parser.lineNumber))")
        }
        // The parser takes a document that ends inside an element as it is: so do not we.
        if let open = reader.openElement {
            throw Failure(description: "cut short: <\(open)> is not closed (line \(parser.lineNumber))")
        }
        guard reader.sawSuite || !reader.cases.isEmpty else {
            throw Failure(description: "not a JUnit report (no testsuite or testcase element)")
        }
        return reader.cases
    }

    private static func describe(_ error: any Error) -> String {
        let text = (error as NSError).localizedDescription
        return text.isEmpty || text.contains("NSXMLParserErrorDomain") ? "not well-formed XML" : "not well-formed XML: \(text)"
    }
}

/// The parser's delegate: a stack of suite names and the case being read.
private final class JUnitReader: NSObject, XMLParserDelegate {
    var cases: [TestCase] = []
    var sawSuite = false
    var problem: String?

    private var suites: [String] = []
    private var current: TestCase?
    private var currentClass: String?
    /// The outcome element being read (`failure`, `error`, `skipped`) and its text so far.
    private var outcome: String?
    private var text = ""
    /// The elements open at this point, outermost first.
    private var open: [String] = []
    var openElement: String? { open.last }

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        open.append(element)
        if open.count == 1, element != "testsuites", element != "testsuite", element != "testcase" {
            problem = "not a JUnit report (its root element is <\(element)>)"
            parser.abortParsing()
            return
        }
        switch element {
        case "testsuite":
            sawSuite = true
            suites.append(attributes["name"] ?? "")
        case "testsuites":
            sawSuite = true
        case "testcase":
            currentClass = attributes["classname"] ?? attributes["class"]
            current = TestCase(suite: "", name: attributes["name"] ?? "", status: .passed,
                               durationMs: Self.milliseconds(attributes["time"]))
        case "failure", "error", "skipped":
            guard var test = current else { return }
            let status: TestCase.Status = element == "failure" ? .failed : element == "error" ? .error : .skipped
            // A failure or an error says more than a skip; the first of its kind is kept.
            guard test.status == .passed || (test.status == .skipped && status != .skipped) else { return }
            test.status = status
            test.message = attributes["message"].flatMap(Self.capped)
            current = test
            outcome = element
            text = ""
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard outcome != nil, text.count < JUnitReport.maximumMessage * 2 else { return }
        text += string
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        guard outcome != nil, text.count < JUnitReport.maximumMessage * 2 else { return }
        text += String(decoding: block.prefix(JUnitReport.maximumMessage * 8), as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        _ = open.popLast()
        switch element {
        case "testsuite":
            _ = suites.popLast()
        case "testcase":
            guard var test = current else { return }
            let className = currentClass ?? ""
            test.suite = className.isEmpty ? suites.last(where: { !$0.isEmpty }) ?? "" : className
            cases.append(test)
            current = nil
            currentClass = nil
        case "failure", "error", "skipped":
            guard outcome == element else { return }
            if current?.message == nil { current?.message = Self.capped(text) }
            outcome = nil
            text = ""
        default:
            break
        }
    }

    /// Seconds as JUnit writes them (`0.012`, `1,234.5` from Surefire) in whole milliseconds.
    static func milliseconds(_ time: String?) -> Int {
        guard let time, let seconds = Double(time.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)),
              seconds.isFinite, seconds >= 0 else { return 0 }
        return Int(min(seconds * 1000, Double(Int32.max)).rounded())
    }

    /// Trimmed, cut to JUnitReport.maximumMessage characters; nil when empty.
    static func capped(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        return trimmed.count > JUnitReport.maximumMessage ? String(trimmed.prefix(JUnitReport.maximumMessage)) + "…" : trimmed
    }
}
