import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Server
import Testing

/// The web UI's drawings: placement rules on numbers, and every drawing read back with an XML
/// parser, so that hostile names are checked as a browser would meet them, not as substrings.
@Suite struct GraphicsTests {
    /// A job or branch name that is markup, quotes, an ampersand and a control character.
    static let hostile = "<img src=x onerror=alert(1)>\"'&\u{7}"
    /// What a reader of the drawing must see of it: the same text, less the control character.
    static let hostileShown = "<img src=x onerror=alert(1)>\"'&"

    // MARK: - Reading the drawings back

    struct Element {
        var name: String
        var attributes: [String: String]
        /// The text directly inside the element (a `<title>`, a `<text>`).
        var text: String
    }

    final class Reader: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            open.append(elements.count)
            elements.append(Element(name: elementName, attributes: attributeDict, text: ""))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            open.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let current = open.last { elements[current].text += string }
        }
    }

    /// The elements of `svg`, in document order; fails the test unless it is well-formed XML.
    static func parse(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Element] {
        let reader = Reader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        let parsed = parser.parse()
        try #require(parsed, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")\n\(svg)", sourceLocation: sourceLocation)
        return reader.elements
    }

    /// Checks that `hostile` reached the drawing as text only: no element or attribute came of
    /// it, the raw output holds it only escaped, and the control character is gone.
    static func expectOnlyEscaped(_ svg: String, in elements: [Element], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!elements.contains { $0.name == "img" }, sourceLocation: sourceLocation)
        #expect(!elements.contains { $0.attributes.keys.contains("onerror") || $0.attributes.keys.contains("src") }, sourceLocation: sourceLocation)
        #expect(!svg.contains("<img"), sourceLocation: sourceLocation)
        #expect(!svg.contains("\u{7}"), sourceLocation: sourceLocation)
        #expect(svg.contains("&lt;img src=x onerror=alert(1)&gt;"), sourceLocation: sourceLocation)
        let shown = elements.map(\.text) + elements.flatMap { $0.attributes.values }
        #expect(shown.contains { $0.contains(hostileShown) }, "the hostile text is not shown in full anywhere", sourceLocation: sourceLocation)
    }

    // MARK: - Tones and text

    @Test func tonesAreTheCommandLinesColours() {
        let expected: [String: StatusTone] = [
            "passed": .green, "reused": .green, "failed": .red, "config-error": .red, "running": .blue,
            "queued": .gray, "skipped": .gray, "cancelled": .gray, "superseded": .gray, "lost": .gray,
            "none": .gray, "what-is-this": .gray, "": .gray, "Passed": .gray,
        ]
        for (status, tone) in expected {
            #expect(StatusTone(status: status) == tone, "\(status)")
        }
        #expect(StatusTone.allCases.map(\.cssClass) == ["tone-green", "tone-red", "tone-blue", "tone-gray"])
        #expect(Set(StatusTone.allCases.map(\.hex)).count == 4)
        for tone in StatusTone.allCases {
            #expect(tone.hex.wholeMatch(of: /#[0-9a-f]{6}/) != nil, "\(tone.hex)")
        }
        let symbols = ["passed": "✔", "reused": "↺", "failed": "✘", "running": "▶", "skipped": "–",
                       "cancelled": "■", "queued": "·", "superseded": "·", "<b>": "·"]
        for (status, symbol) in symbols {
            #expect(StatusTone.symbol(for: status) == symbol, "\(status)")
        }
    }

    @Test func escapingLeavesOnlyTextAXMLParserAccepts() throws {
        #expect(SVGText.escape(Self.hostile) == "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;")
        #expect(SVGText.escape("a\u{0}b\u{1B}[31mc\u{7F}d\u{85}e\u{FFFE}f\u{FFFF}g") == "ab[31mcdefg")
        #expect(SVGText.escape("tab\tline\nreturn\r") == "tab\tline\nreturn\r")
        #expect(SVGText.escape("café 🚀 日本 \u{10FFFD}") == "café 🚀 日本 \u{10FFFD}")
        #expect(SVGText.escape("&amp;") == "&amp;amp;")

        let everyScalar = String(String.UnicodeScalarView((0...0x2FF).compactMap { Unicode.Scalar(UInt32($0)) } + ["\u{FFFE}", "\u{FFFF}"]))
        let document = "<t a=\"\(SVGText.escape(everyScalar))\" b='\(SVGText.escape(everyScalar))'>\(SVGText.escape(everyScalar))</t>"
        let elements = try Self.parse(document)
        #expect(elements.count == 1)
        // XML reads a carriage return as a line feed.
        let kept = everyScalar.unicodeScalars.filter { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && $0.value < 0xFFFE || "\t\n\r".unicodeScalars.contains($0) }
        let expected = String(String.UnicodeScalarView(kept)).replacingOccurrences(of: "\r", with: "\n")
        #expect(elements.first?.text == expected)
        #expect(expected.contains("<") && expected.contains("&") && expected.contains("'"))
    }

    @Test func onlyPathsRelativeAndWebLinksAreKept() {
        #expect(SVGText.link("/repos/a/commits/1?job=x&y=\"z\"") == "/repos/a/commits/1?job=x&amp;y=&quot;z&quot;")
        #expect(SVGText.link("https://ci.example/job") == "https://ci.example/job")
        #expect(SVGText.link("HTTP://ci.example/") == "HTTP://ci.example/")
        #expect(SVGText.link("jobs/unit") == "jobs/unit")
        #expect(SVGText.link("jobs/a:b") == "jobs/a:b")
        #expect(SVGText.link("#top") == "#top")
        for hostile in ["javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                        "java\nscript:alert(1)", "\u{1}javascript:alert(1)", "data:text/html,<script>", "vbscript:x", "", " ", nil] {
            #expect(SVGText.link(hostile) == nil, "\(String(describing: hostile))")
        }
    }

    @Test func truncationKeepsWholeCharactersWithinTheWidth() {
        #expect(SVGText.truncate("unit", toWidth: 100, fontSize: 13) == "unit")
        let long = String(repeating: "integration-", count: 10)
        let cut = SVGText.truncate(long, toWidth: 100, fontSize: 13)
        #expect(cut.hasSuffix("…"))
        #expect(long.hasPrefix(String(cut.dropLast())))
        #expect(cut.count > 5 && cut.count < long.count)
        let flags = String(repeating: "🇫🇷e\u{301}", count: 40)
        let cutFlags = SVGText.truncate(flags, toWidth: 100, fontSize: 13)
        #expect(cutFlags.hasSuffix("…"))
        #expect(flags.hasPrefix(String(cutFlags.dropLast())))
        #expect(cutFlags.dropLast().allSatisfy { $0 == "🇫🇷" || $0 == "e\u{301}" })
    }

    @Test func durationsReadAsPeopleSayThem() {
        let cases: [(Int, String)] = [
            (-5, "0ms"), (0, "0ms"), (850, "850ms"), (999, "999ms"), (1000, "1.0s"), (1234, "1.2s"), (12_345, "12.3s"),
            (59_999, "59.9s"), (60_000, "1m 00s"), (184_000, "3m 04s"), (3_599_999, "59m 59s"),
            (3_600_000, "1h 00m"), (3_720_000, "1h 02m"), (90_000_000, "25h 00m"),
        ]
        for (milliseconds, text) in cases {
            #expect(DurationText.format(milliseconds: milliseconds) == text, "\(milliseconds)")
        }
    }

    // MARK: - Pipeline layout

    typealias Node = PipelineGraph.Node

    static func columns(_ layout: PipelineGraph.Layout, _ nodes: [Node]) -> [String: Int] {
        Dictionary(zip(nodes.map(\.name), layout.boxes.map(\.column)), uniquingKeysWith: { first, _ in first })
    }

    /// Edges that would cross a box they do not join: an edge past a column runs in a channel
    /// that no box of the columns it passes covers; an edge to the next column needs none.
    static func crossings(_ layout: PipelineGraph.Layout) -> [PipelineGraph.Layout.Edge] {
        layout.edges.filter { edge in
            let from = layout.boxes[edge.from], to = layout.boxes[edge.to]
            guard to.column - from.column > 1 else { return edge.channel != nil }
            guard let channel = edge.channel, channel > 0, channel < layout.height else { return true }
            return layout.boxes.contains { box in
                box.column > from.column && box.column < to.column && (box.y...box.y + PipelineGraph.nodeHeight).contains(channel)
            }
        }
    }

    @Test func stagesAreColumnsInStageOrderAndEmptyStagesTakeNone() {
        let nodes = [
            Node(name: "ship", stage: "deploy", status: "queued"),
            Node(name: "compile", stage: "build", status: "passed"),
            Node(name: "unit", stage: "test", status: "running"),
            Node(name: "lint", stage: "build", status: "failed"),
            Node(name: "e2e", stage: "test", status: "queued"),
        ]
        let layout = PipelineGraph.layout(stages: ["build", "docs", "test", "deploy"], nodes: nodes)
        #expect(Self.columns(layout, nodes) == ["compile": 0, "lint": 0, "unit": 1, "e2e": 1, "ship": 2])
        #expect(layout.boxes.map(\.row) == [0, 0, 0, 1, 1])
        #expect(layout.columns == 3)
        #expect(layout.headings.map(\.stage) == ["build", "test", "deploy"])
        #expect(layout.headings.map(\.column) == [0, 1, 2])
        #expect(layout.edges.isEmpty, "stage order is no `needs` edge")
        let xs = [1, 2, 0].map { layout.boxes[$0].x }
        #expect(xs == xs.sorted() && Set(xs).count == 3)
        #expect(layout.boxes[3].y > layout.boxes[1].y && layout.boxes[3].x == layout.boxes[1].x)
        #expect(layout.width >= layout.boxes.map(\.x).max()! + PipelineGraph.nodeWidth)
        #expect(layout.height >= layout.boxes.map(\.y).max()! + PipelineGraph.nodeHeight)
    }

    @Test func needsPushJobsRightSoEveryEdgeGoesLeftToRight() {
        let nodes = [
            Node(name: "compile", stage: "build", status: "passed"),
            Node(name: "package", stage: "build", status: "passed", needs: ["compile"]),
            Node(name: "unit", stage: "test", status: "passed", needs: ["compile", "compile", "nowhere"]),
            Node(name: "integration", stage: "test", status: "passed", needs: ["unit", "package"]),
            Node(name: "smoke", stage: "test", status: "passed"),
            Node(name: "ship", stage: "deploy", status: "queued"),
            // Needs a job of a later stage: drawn right of it, not in its own stage's column.
            Node(name: "warm-cache", stage: "build", status: "passed", needs: ["smoke"]),
        ]
        let layout = PipelineGraph.layout(stages: ["build", "test", "deploy"], nodes: nodes)
        let column = Self.columns(layout, nodes)
        #expect(column == ["compile": 0, "package": 1, "unit": 2, "integration": 3, "smoke": 2, "warm-cache": 3, "ship": 4])
        #expect(layout.headings.map(\.stage) == ["build", "test", "deploy"])
        #expect(layout.headings.map(\.column) == [0, 2, 4])
        let edges = layout.edges.map { "\(nodes[$0.from].name)→\(nodes[$0.to].name)" }
        #expect(edges == ["compile→package", "compile→unit", "unit→integration", "package→integration", "smoke→warm-cache"])
        for edge in layout.edges {
            #expect(layout.boxes[edge.from].x + PipelineGraph.nodeWidth < layout.boxes[edge.to].x)
        }
        #expect(layout.edges.filter { $0.channel != nil }.map { nodes[$0.to].name } == ["unit", "integration"])
        #expect(Self.crossings(layout).isEmpty)
    }

    @Test func anyAcyclicNeedsGoLeftToRight() {
        // A fixed pseudo-random sequence: the same graphs every run.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let stages = ["a", "b", "c", "d"]
        for _ in 0..<50 {
            let count = 1 + next(30)
            // Needs only point to earlier nodes in a shuffled stage assignment: acyclic, but
            // crossing stages either way.
            let nodes = (0..<count).map { index in
                Node(name: "j\(index)", stage: stages[next(stages.count)], status: "passed",
                     needs: index == 0 ? [] : (0..<next(3)).map { _ in "j\(next(index))" })
            }
            let layout = PipelineGraph.layout(stages: stages, nodes: nodes)
            #expect(layout.boxes.count == count)
            let backwards = layout.edges.filter { layout.boxes[$0.from].column >= layout.boxes[$0.to].column }
            #expect(backwards.isEmpty, "\(nodes)")
            #expect(Self.crossings(layout).isEmpty, "\(nodes)")
            #expect(layout.edges.count == Set(nodes.enumerated().flatMap { index, node in node.needs.map { "\($0)>\(index)" } }).count)
            let places = layout.boxes.map { "\($0.column),\($0.row)" }
            #expect(Set(places).count == count, "two boxes in one place")
        }
    }

    @Test func cyclesAndSelfNeedsEndAndFallBackToTheStageColumn() {
        let nodes = [
            Node(name: "setup", stage: "build", status: "passed"),
            Node(name: "a", stage: "test", status: "failed", needs: ["b"]),
            Node(name: "b", stage: "test", status: "failed", needs: ["a"]),
            Node(name: "c", stage: "test", status: "queued", needs: ["a"]),
            Node(name: "me", stage: "test", status: "queued", needs: ["me"]),
            Node(name: "after", stage: "deploy", status: "queued"),
        ]
        let layout = PipelineGraph.layout(stages: ["build", "test", "deploy"], nodes: nodes)
        #expect(Self.columns(layout, nodes) == ["setup": 0, "a": 1, "b": 1, "c": 1, "me": 1, "after": 2])
        #expect(layout.edges.count == 3, "a cycle's edges are still drawn; a self-need is not")
        let svg = PipelineGraph.svg(stages: ["build", "test", "deploy"], nodes: nodes)
        #expect(svg.components(separatedBy: "class=\"edge\"").count - 1 == 3)
    }

    @Test func aNameGivenTwiceCountsOnceForEdges() {
        let nodes = [
            Node(name: "dup", stage: "build", status: "passed"),
            Node(name: "other", stage: "build", status: "passed"),
            Node(name: "dup", stage: "test", status: "failed", needs: ["other"]),
            Node(name: "user", stage: "test", status: "passed", needs: ["dup"]),
        ]
        let layout = PipelineGraph.layout(stages: ["build", "test"], nodes: nodes)
        #expect(layout.edges == [PipelineGraph.Layout.Edge(from: 0, to: 3)])
        #expect(layout.boxes.map(\.column) == [0, 0, 1, 1])
    }

    // MARK: - Pipeline drawing

    @Test func theGraphShowsHostileNamesAsText() throws {
        let nodes = [
            Node(name: Self.hostile, stage: Self.hostile, status: "failed", caption: Self.hostile, href: "/jobs/" + Self.hostile),
            Node(name: "after", stage: "test", status: Self.hostile, needs: [Self.hostile], caption: "1.2s", href: "javascript:alert(1)"),
        ]
        let svg = PipelineGraph.svg(stages: [Self.hostile, "test"], nodes: nodes, label: Self.hostile)
        let elements = try Self.parse(svg)
        Self.expectOnlyEscaped(svg, in: elements)
        let links = elements.filter { $0.name == "a" }
        #expect(links.count == 1, "the javascript: link is dropped, the box still drawn")
        #expect(links.first?.attributes["href"] == "/jobs/" + Self.hostileShown)
        #expect(elements.first?.attributes["aria-label"]?.hasPrefix(Self.hostileShown) == true)
        #expect(elements.filter { $0.attributes["class"]?.hasPrefix("node ") == true }.count == 2)
        #expect(!svg.contains("javascript"))
    }

    @Test func theGraphIsAGroupOfLinkedBoxesThatScales() throws {
        let nodes = [
            Node(name: "compile", stage: "build", status: "passed", caption: "12.3s", href: "/r/x/jobs/compile"),
            Node(name: "an-integration-test-job-with-a-very-long-name", stage: "test", status: "running",
                 needs: ["compile"], caption: "skipped (no changes)"),
        ]
        let svg = PipelineGraph.svg(stages: ["build", "test"], nodes: nodes)
        #expect(!svg.hasPrefix("<?xml"))
        let elements = try Self.parse(svg)
        let root = try #require(elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["role"] == "group")
        #expect(root.attributes["aria-label"] == "Pipeline: 2 jobs")
        let layout = PipelineGraph.layout(stages: ["build", "test"], nodes: nodes)
        #expect(root.attributes["viewBox"] == "0 0 \(layout.width) \(layout.height)")
        #expect(root.attributes["width"] == "\(layout.width)" && root.attributes["height"] == "\(layout.height)")
        #expect(root.attributes["class"] == "gfx pipeline-graph")

        let link = try #require(elements.first { $0.name == "a" })
        #expect(link.attributes["href"] == "/r/x/jobs/compile")
        #expect(link.attributes["class"] == "node tone-green")
        #expect(elements.contains { $0.name == "g" && $0.attributes["class"] == "node tone-blue" })
        for box in elements where box.attributes["class"] == "node-box" {
            #expect(box.attributes["stroke"] != nil, "a box must show without the page's style sheet")
        }
        let names = elements.filter { $0.attributes["class"] == "node-name" }.map(\.text)
        #expect(names.first == "compile")
        #expect(names.last?.hasSuffix("…") == true && names.last != nodes[1].name)
        let titles = elements.filter { $0.name == "title" }.map(\.text)
        #expect(titles.contains { $0.contains("an-integration-test-job-with-a-very-long-name") })
        #expect(elements.filter { $0.attributes["class"] == "node-symbol" }.map(\.text) == ["✔", "▶"])
        #expect(elements.filter { $0.attributes["class"] == "node-caption" }.map(\.text) == ["12.3s", "skipped (no changes)"])
        #expect(elements.filter { $0.attributes["class"] == "stage" }.map(\.text) == ["build", "test"])
        let edges = elements.filter { $0.attributes["class"] == "edge" }
        #expect(edges.count == 1)
        let from = layout.boxes[0], to = layout.boxes[1]
        #expect(to.column == from.column + 1 && layout.edges.first?.channel == nil)
        #expect(edges.first?.attributes["d"]?.hasPrefix("M\(from.x + PipelineGraph.nodeWidth) ") == true)
        #expect(edges.first?.attributes["d"]?.hasSuffix(" \(to.x) \(to.y + PipelineGraph.nodeHeight / 2)") == true)
    }

    @Test func noJobsDrawNothingAndOneJobDrawsOneBox() throws {
        #expect(PipelineGraph.svg(stages: ["build"], nodes: []) == "")
        let empty = PipelineGraph.layout(stages: ["build"], nodes: [])
        #expect(empty.columns == 0 && empty.boxes.isEmpty && empty.width == 0)
        let one = PipelineGraph.svg(stages: [], nodes: [Node(name: "only", stage: "default", status: "queued")])
        let elements = try Self.parse(one)
        #expect(elements.filter { $0.attributes["class"]?.hasPrefix("node ") == true }.count == 1)
        #expect(elements.first?.attributes["aria-label"] == "Pipeline: 1 job")
        #expect(elements.filter { $0.attributes["class"] == "stage" }.map(\.text) == ["default"])
    }

    @Test func aMatrixOfTwoHundredJobsIsDrawn() throws {
        var nodes = [Node(name: "build", stage: "build", status: "passed")]
        nodes += (0..<200).map { Node(name: "test (python=3.\($0))", stage: "test", status: $0 % 7 == 0 ? "failed" : "passed",
                                      needs: ["build"], caption: "\($0).0s", href: "/jobs/\($0)") }
        nodes.append(Node(name: "report", stage: "report", status: "queued", needs: nodes.dropFirst().map(\.name)))
        let layout = PipelineGraph.layout(stages: ["build", "test", "report"], nodes: nodes)
        #expect(layout.columns == 3)
        #expect(layout.boxes.map(\.column) == [0] + Array(repeating: 1, count: 200) + [2])
        #expect(layout.boxes.map(\.row).max() == 199)
        #expect(layout.edges.count == 400)
        let svg = PipelineGraph.svg(stages: ["build", "test", "report"], nodes: nodes)
        let elements = try Self.parse(svg)
        #expect(elements.filter { $0.name == "a" }.count == 200)
        #expect(elements.filter { $0.attributes["class"] == "edge" }.count == 400)
        #expect(elements.filter { $0.attributes["class"] == "node tone-red" }.count == 29)
    }

    // MARK: - Badge

    static func badgeWidth(_ svg: String) throws -> Int {
        let root = try #require(try parse(svg).first)
        return try #require(root.attributes["width"].flatMap { Int($0) })
    }

    @Test func theBadgeIsACompleteDocumentInTheStatusColour() throws {
        let svg = Badge.svg(message: "passing", status: "passed")
        let elements = try Self.parse(svg)
        let root = try #require(elements.first)
        #expect(root.name == "svg")
        #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(root.attributes["role"] == "img")
        #expect(root.attributes["aria-label"] == "gitci: passing")
        #expect(elements.first { $0.name == "title" }?.text == "gitci: passing")
        #expect(elements.contains { $0.name == "rect" && $0.attributes["fill"] == StatusTone.green.hex })
        let failing = Badge.svg(label: "main", message: "failing", status: "failed")
        #expect(failing.contains("fill=\"\(StatusTone.red.hex)\"") && !failing.contains(StatusTone.green.hex))
        #expect(try Self.parse(failing).filter { $0.name == "text" }.map(\.text) == ["main", "main", "failing", "failing"])
    }

    @Test func theBadgeGrowsWithItsText() throws {
        let short = try Self.badgeWidth(Badge.svg(message: "ok", status: "passed"))
        let longer = try Self.badgeWidth(Badge.svg(message: "passing", status: "passed"))
        let longest = try Self.badgeWidth(Badge.svg(message: "passing with 3 warnings", status: "passed"))
        #expect(short < longer && longer < longest)
        let wideLabel = try Self.badgeWidth(Badge.svg(label: "gitci main branch", message: "ok", status: "passed"))
        #expect(wideLabel > short)
        #expect(try Self.badgeWidth(Badge.svg(message: "MMMM", status: "passed")) > Self.badgeWidth(Badge.svg(message: "iiii", status: "passed")))
        let huge = try Self.badgeWidth(Badge.svg(label: String(repeating: "x", count: 5000), message: "ok", status: "passed"))
        #expect(huge < 400, "a label of any length makes a badge of bounded width")
    }

    @Test func theBadgeShowsHostileTextAsText() throws {
        let svg = Badge.svg(label: Self.hostile, message: Self.hostile, status: Self.hostile)
        Self.expectOnlyEscaped(svg, in: try Self.parse(svg))
        #expect(svg.contains("fill=\"\(StatusTone.gray.hex)\""))
    }

    // MARK: - Sparkline and duration bars

    static func marks(_ elements: [Element]) -> [Element] {
        elements.filter { $0.attributes["class"] == "mark" }
    }

    @Test func theSparklineShowsTheLastTwentyOldestLeft() throws {
        #expect(Sparkline.svg([]) == "")
        let points = (0..<25).map { Sparkline.Point(status: $0 % 5 == 0 ? "failed" : "passed", title: "c\($0)", href: "/c/\($0)") }
        let elements = try Self.parse(Sparkline.svg(points))
        let root = try #require(elements.first)
        #expect(root.attributes["role"] == "group")
        #expect(root.attributes["aria-label"] == "last 20 results: 4 failed, 16 passed")
        #expect(elements.filter { $0.name == "title" }.map(\.text) == (5..<25).map { "c\($0)" })
        #expect(elements.filter { $0.name == "a" }.map { $0.attributes["href"] } == (5..<25).map { "/c/\($0)" })
        #expect(elements.filter { $0.name == "a" }.map { $0.attributes["class"] }.first == "bar tone-red")
        let marks = Self.marks(elements)
        #expect(marks.count == 20)
        let xs = marks.compactMap { $0.attributes["x"].flatMap { Int($0) } }
        #expect(xs == xs.sorted() && Set(xs).count == 20)
        let heights = marks.compactMap { $0.attributes["height"].flatMap { Int($0) } }
        #expect(heights[0] > heights[1], "a failure stands taller than a pass")
        #expect(marks[0].attributes["fill"] == StatusTone.red.hex && marks[1].attributes["fill"] == StatusTone.green.hex)

        let unlinked = try Self.parse(Sparkline.svg([Sparkline.Point(status: "skipped", title: "abc1234 skipped")]))
        #expect(unlinked.first?.attributes["role"] == "img")
        #expect(!unlinked.contains { $0.name == "a" })
        #expect(unlinked.contains { $0.name == "g" && $0.attributes["class"] == "bar tone-gray" })
    }

    @Test func theSparklineShowsHostileTextAsText() throws {
        let svg = Sparkline.svg([Sparkline.Point(status: Self.hostile, title: Self.hostile, href: "/b/" + Self.hostile),
                                 Sparkline.Point(status: "passed", title: "ok", href: "javascript:alert(1)")])
        let elements = try Self.parse(svg)
        Self.expectOnlyEscaped(svg, in: elements)
        #expect(elements.filter { $0.name == "a" }.count == 1)
        #expect(!svg.contains("javascript"))
    }

    @Test func durationBarsAreProportionalAndNeverVanish() throws {
        #expect(DurationBars.svg([]) == "")
        let bars = [
            DurationBars.Bar(durationMs: 30_000, status: "passed", title: "a1 passed", href: "/a1"),
            DurationBars.Bar(durationMs: 60_000, status: "failed", title: "b2 failed"),
            DurationBars.Bar(durationMs: 0, status: "passed", title: "c3 passed"),
            DurationBars.Bar(durationMs: nil, status: "running", title: "d4 running"),
            DurationBars.Bar(durationMs: 100, status: "passed", title: "e5 passed"),
        ]
        let elements = try Self.parse(DurationBars.svg(bars))
        let marks = Self.marks(elements)
        #expect(marks.map { $0.attributes["height"] } == ["20", "40", "1", "1", "1"])
        #expect(marks.map { $0.attributes["y"] } == ["20", "0", "39", "39", "39"])
        #expect(marks.map { $0.attributes["fill"] } == [StatusTone.green.hex, StatusTone.red.hex, StatusTone.green.hex,
                                                          StatusTone.blue.hex, StatusTone.green.hex])
        #expect(elements.filter { $0.name == "title" }.map(\.text)
            == ["a1 passed — 30.0s", "b2 failed — 1m 00s", "c3 passed — 0ms", "d4 running — no duration", "e5 passed — 100ms"])
        #expect(elements.filter { $0.name == "a" }.map { $0.attributes["href"] } == ["/a1"])
        #expect(elements.first?.attributes["role"] == "group")

        let allZero = Self.marks(try Self.parse(DurationBars.svg([DurationBars.Bar(durationMs: 0, status: "passed", title: "x")])))
        #expect(allZero.map { $0.attributes["height"] } == ["1"])
    }

    @Test func durationBarsShowHostileTextAsText() throws {
        let svg = DurationBars.svg([DurationBars.Bar(durationMs: 1200, status: Self.hostile, title: Self.hostile, href: "/" + Self.hostile)])
        let elements = try Self.parse(svg)
        Self.expectOnlyEscaped(svg, in: elements)
        #expect(elements.first { $0.name == "title" }?.text == Self.hostileShown + " — 1.2s")
    }
}
