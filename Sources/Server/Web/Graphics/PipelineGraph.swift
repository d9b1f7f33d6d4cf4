/// A commit's pipeline as an inline SVG: stages as columns, jobs as boxes, `needs` as curves.
///
/// `layout` decides where everything goes and `svg` only draws it, so the placement rules can be
/// tested on numbers rather than on drawn text.
package enum PipelineGraph {
    /// One job as the page knows it.
    package struct Node: Sendable, Hashable {
        package var name: String
        package var stage: String
        package var status: String
        /// Names of the jobs this one needs; names of no node here are ignored.
        package var needs: [String]
        /// The second line of the box: "12.3s", "reused", "skipped (no changes)".
        package var caption: String
        /// The job's page; nil draws the box without a link.
        package var href: String?

        package init(name: String, stage: String, status: String, needs: [String] = [], caption: String = "", href: String? = nil) {
            self.name = name
            self.stage = stage
            self.status = status
            self.needs = needs
            self.caption = caption
            self.href = href
        }
    }

    /// Where `layout` puts the nodes, in pixels of the drawing (its viewBox).
    package struct Layout: Sendable, Equatable {
        package struct Box: Sendable, Equatable {
            /// Counted from 0 at the left, over the columns actually drawn.
            package var column: Int
            /// Counted from 0 at the top of its column.
            package var row: Int
            package var x: Int
            package var y: Int
        }

        /// A stage name over the first column its jobs take.
        package struct Heading: Sendable, Equatable {
            package var stage: String
            package var column: Int
            package var x: Int
        }

        /// A `needs` entry: `to` needs `from` (indices into the nodes), drawn from `from`'s right
        /// side to `to`'s left side.
        package struct Edge: Sendable, Equatable {
            package var from: Int
            package var to: Int
            /// For an edge that passes columns between its ends: the height of the run it takes
            /// through them, in a gap between rows, so it never crosses a box it does not join.
            package var channel: Int?

            package init(from: Int, to: Int, channel: Int? = nil) {
                self.from = from
                self.to = to
                self.channel = channel
            }
        }

        /// One per node, in the order of the nodes given.
        package var boxes: [Box]
        package var headings: [Heading]
        package var edges: [Edge]
        package var columns: Int
        package var width: Int
        package var height: Int
    }

    package static let nodeWidth = 184
    package static let nodeHeight = 46
    static let columnGap = 56
    static let rowGap = 14
    static let headingHeight = 26
    static let margin = 8
    /// Where a box's text starts, right of the status symbol.
    static let textInset = 28
    static let nameFontSize = 13.0
    static let captionFontSize = 11.0
    static let headingFontSize = 12.0

    // MARK: - Layout

    /// Places `nodes` in columns: the stages in `stages` order (a stage of no node takes no
    /// column; stages the nodes name but `stages` lacks follow in the order they first appear),
    /// each stage taking as many columns as its longest chain of `needs` inside it, so that every
    /// edge goes left to right. A job that needs a job of a later stage moves into that stage's
    /// columns (it keeps its own place in the stage order only when nothing pulls it right).
    /// Inside a column the nodes keep their given order.
    ///
    /// `needs` naming no node, or naming the node itself, are ignored; a name given twice counts
    /// once, the first time: a later node of the same name is drawn but takes part in no edge.
    /// Nodes on or behind a cycle of `needs` (which config validation refuses, but drawings of
    /// old results must not hang on) stay in their own stage's first column.
    package static func layout(stages: [String], nodes: [Node]) -> Layout {
        var firstIndex: [String: Int] = [:]
        for (index, node) in nodes.enumerated() where firstIndex[node.name] == nil {
            firstIndex[node.name] = index
        }
        let needs: [[Int]] = nodes.indices.map { index in
            guard firstIndex[nodes[index].name] == index else { return [] }
            var seen = Set<Int>()
            return nodes[index].needs.compactMap { firstIndex[$0] }.filter { $0 != index && seen.insert($0).inserted }
        }
        let order = topologicalOrder(needs)

        var stagePosition: [String: Int] = [:]
        var stageNames: [String] = []
        for stage in stages + nodes.map(\.stage) where stagePosition[stage] == nil {
            stagePosition[stage] = stageNames.count
            stageNames.append(stage)
        }
        // A node's stage for placement: its own, or the latest stage of what it needs.
        var stage = nodes.map { stagePosition[$0.stage] ?? 0 }
        var offset = Array(repeating: 0, count: nodes.count)
        for index in order {
            for need in needs[index] { stage[index] = max(stage[index], stage[need]) }
            for need in needs[index] where stage[need] == stage[index] {
                offset[index] = max(offset[index], offset[need] + 1)
            }
        }

        var lastOffset: [Int: Int] = [:]
        for index in nodes.indices { lastOffset[stage[index]] = max(lastOffset[stage[index]] ?? 0, offset[index]) }
        var firstColumn: [Int: Int] = [:]
        var columns = 0
        var headings: [Layout.Heading] = []
        for (position, last) in lastOffset.sorted(by: { $0.key < $1.key }) {
            firstColumn[position] = columns
            headings.append(Layout.Heading(stage: stageNames[position], column: columns, x: x(ofColumn: columns)))
            columns += 1 + last
        }
        var rowsUsed = Array(repeating: 0, count: columns)
        let boxes = nodes.indices.map { index in
            let column = (firstColumn[stage[index]] ?? 0) + offset[index]
            let row = rowsUsed[column]
            rowsUsed[column] += 1
            return Layout.Box(column: column, row: row, x: x(ofColumn: column),
                              y: margin + headingHeight + row * (nodeHeight + rowGap))
        }
        let rows = rowsUsed.max() ?? 0
        let edges = nodes.indices.flatMap { index in
            needs[index].map { need in
                let from = boxes[need], to = boxes[index]
                let channel = to.column - from.column > 1 ? channel(between: from, and: to, rows: rows) : nil
                return Layout.Edge(from: need, to: index, channel: channel)
            }
        }
        return Layout(
            boxes: boxes, headings: headings, edges: edges, columns: columns,
            width: columns == 0 ? 0 : 2 * margin + columns * nodeWidth + (columns - 1) * columnGap,
            height: rows == 0 ? 0 : 2 * margin + headingHeight + rows * nodeHeight + (rows - 1) * rowGap
        )
    }

    /// The gap between rows (above the first row, between two, or below the last) nearest to
    /// halfway between the ends' middles.
    private static func channel(between from: Layout.Box, and to: Layout.Box, rows: Int) -> Int {
        let first = margin + headingHeight - rowGap / 2
        let pitch = nodeHeight + rowGap
        let middle = Double(from.y + to.y + nodeHeight) / 2
        let gap = min(rows, max(0, Int((middle - Double(first)) / Double(pitch) + 0.5)))
        return first + gap * pitch
    }

    private static func x(ofColumn column: Int) -> Int {
        margin + column * (nodeWidth + columnGap)
    }

    /// The nodes whose needs can all be ordered before them, needs first (Kahn's algorithm,
    /// taking nodes in their given order); nodes on or behind a cycle are left out.
    private static func topologicalOrder(_ needs: [[Int]]) -> [Int] {
        var waiting = needs.map(\.count)
        var dependents = Array(repeating: [Int](), count: needs.count)
        for (index, list) in needs.enumerated() {
            for need in list { dependents[need].append(index) }
        }
        var order = needs.indices.filter { waiting[$0] == 0 }
        var head = 0
        while head < order.count {
            for dependent in dependents[order[head]] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { order.append(dependent) }
            }
            head += 1
        }
        return order
    }

    // MARK: - Drawing

    /// The drawing to put inside an HTML page: no XML declaration, `class="gfx pipeline-graph"`,
    /// its natural size in `width` and `height` and a `viewBox`, so a style sheet rule like
    /// `svg.gfx { max-width: 100%; height: auto }` lets it shrink on a phone (no `style`
    /// attribute: a Content-Security-Policy without 'unsafe-inline' would block it).
    ///
    /// Each node is `<a href="…" class="node tone-…">` (a `<g>` without a link) holding a
    /// `<title>`, a `rect.node-box` and the texts `.node-symbol`, `.node-name`, `.node-caption`;
    /// edges are `path.edge`, stage names `text.stage`. Colours are set as attributes too, which
    /// any style sheet rule overrides, so the drawing stays readable without one.
    /// No nodes: an empty string (the page says "no jobs" in its own words).
    package static func svg(stages: [String], nodes: [Node], label: String = "Pipeline") -> String {
        guard !nodes.isEmpty else { return "" }
        let layout = layout(stages: stages, nodes: nodes)
        var out = ""
        out.reserveCapacity(600 + nodes.count * 700)
        let jobs = nodes.count == 1 ? "1 job" : "\(nodes.count) jobs"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gfx pipeline-graph\""
        out += " width=\"\(layout.width)\" height=\"\(layout.height)\" viewBox=\"0 0 \(layout.width) \(layout.height)\""
        out += " role=\"group\" aria-label=\"\(SVGText.escape(label)): \(jobs)\""
        out += " font-family=\"system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif\">"

        let headingWidth = Double(nodeWidth + columnGap / 2)
        for heading in layout.headings {
            let shown = SVGText.truncate(heading.stage, toWidth: headingWidth, fontSize: headingFontSize)
            out += "<text class=\"stage\" x=\"\(heading.x)\" y=\"\(margin + 14)\" font-size=\"\(Int(headingFontSize))\""
            out += " font-weight=\"600\" fill=\"currentColor\" opacity=\".7\">"
            if shown != heading.stage { out += "<title>\(SVGText.escape(heading.stage))</title>" }
            out += SVGText.escape(shown) + "</text>"
        }

        for edge in layout.edges {
            let from = layout.boxes[edge.from], to = layout.boxes[edge.to]
            let x1 = from.x + nodeWidth, y1 = from.y + nodeHeight / 2
            let x2 = to.x, y2 = to.y + nodeHeight / 2
            let d: String
            if let channel = edge.channel, x2 > x1 {
                // An S into the channel in the first gap between columns, along it, an S out.
                let half = columnGap / 2
                d = "M\(x1) \(y1)C\(x1 + half) \(y1) \(x1 + half) \(channel) \(x1 + columnGap) \(channel)"
                    + "H\(x2 - columnGap)C\(x2 - half) \(channel) \(x2 - half) \(y2) \(x2) \(y2)"
            } else {
                // Half the horizontal distance makes an S; a backward edge (only on a cycle) loops out.
                let bend = x2 > x1 ? (x2 - x1) / 2 : columnGap
                d = "M\(x1) \(y1)C\(x1 + bend) \(y1) \(x2 - bend) \(y2) \(x2) \(y2)"
            }
            out += "<path class=\"edge\" d=\"\(d)\""
            out += " fill=\"none\" stroke=\"currentColor\" stroke-opacity=\".45\" stroke-width=\"1.5\"/>"
        }

        for (index, node) in nodes.enumerated() {
            drawNode(node, at: layout.boxes[index], into: &out)
        }
        out += "</svg>"
        return out
    }

    private static func drawNode(_ node: Node, at box: Layout.Box, into out: inout String) {
        let tone = StatusTone(status: node.status)
        let link = SVGText.link(node.href)
        let textWidth = Double(nodeWidth - textInset - 8)
        let name = SVGText.truncate(node.name, toWidth: textWidth, fontSize: nameFontSize)
        let caption = SVGText.truncate(node.caption, toWidth: textWidth, fontSize: captionFontSize)
        var title = node.name + " — " + node.status
        if !node.caption.isEmpty && node.caption != node.status { title += ", " + node.caption }

        out += link.map { "<a href=\"\($0)\" class=\"node \(tone.cssClass)\">" } ?? "<g class=\"node \(tone.cssClass)\">"
        out += "<title>\(SVGText.escape(title))</title>"
        out += "<rect class=\"node-box\" x=\"\(box.x)\" y=\"\(box.y)\" width=\"\(nodeWidth)\" height=\"\(nodeHeight)\" rx=\"6\""
        // Filled, however faintly, so that the whole box takes clicks, not its outline only.
        out += " fill=\"\(tone.hex)\" fill-opacity=\".08\" stroke=\"\(tone.hex)\" stroke-width=\"1.5\"/>"
        out += "<text class=\"node-symbol\" x=\"\(box.x + 10)\" y=\"\(box.y + 19)\" font-size=\"\(Int(nameFontSize))\" fill=\"\(tone.hex)\">"
        out += SVGText.escape(StatusTone.symbol(for: node.status)) + "</text>"
        out += "<text class=\"node-name\" x=\"\(box.x + textInset)\" y=\"\(box.y + 19)\" font-size=\"\(Int(nameFontSize))\""
        out += " font-weight=\"600\" fill=\"currentColor\">\(SVGText.escape(name))</text>"
        if !caption.isEmpty {
            out += "<text class=\"node-caption\" x=\"\(box.x + textInset)\" y=\"\(box.y + 36)\" font-size=\"\(Int(captionFontSize))\""
            out += " fill=\"currentColor\" opacity=\".75\">\(SVGText.escape(caption))</text>"
        }
        out += link == nil ? "</g>" : "</a>"
    }
}
