/// What the sparkline and the duration chart share: a row of bottom-aligned bars, each in its
/// status's tone, with a tooltip and perhaps a link.
///
/// Each bar is `<a href="…" class="bar tone-…">` (a `<g>` without a link) holding a `<title>`,
/// an invisible `rect.hit` as tall as the drawing (a bar a few pixels wide and high is hard to
/// point at, harder to tap) and the visible `rect.mark`, whose fill attribute a style sheet
/// rule overrides.
enum BarStrip {
    struct Bar {
        var height: Int
        var tone: StatusTone
        var title: String
        var href: String?
    }

    static func svg(_ bars: [Bar], barWidth: Int, gap: Int, height: Int, cssClass: String, label: String) -> String {
        guard !bars.isEmpty else { return "" }
        let width = bars.count * (barWidth + gap) - gap
        let linked = bars.contains { SVGText.link($0.href) != nil }
        var out = ""
        out.reserveCapacity(200 + bars.count * 250)
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gfx \(cssClass)\" width=\"\(width)\" height=\"\(height)\""
        out += " viewBox=\"0 0 \(width) \(height)\" role=\"\(linked ? "group" : "img")\" aria-label=\"\(SVGText.escape(label))\">"
        for (index, bar) in bars.enumerated() {
            let x = index * (barWidth + gap)
            let barHeight = min(height, max(1, bar.height))
            let link = SVGText.link(bar.href)
            out += link.map { "<a href=\"\($0)\" class=\"bar \(bar.tone.cssClass)\">" } ?? "<g class=\"bar \(bar.tone.cssClass)\">"
            out += "<title>\(SVGText.escape(bar.title))</title>"
            out += "<rect class=\"hit\" x=\"\(x)\" y=\"0\" width=\"\(barWidth + gap)\" height=\"\(height)\" fill=\"transparent\"/>"
            out += "<rect class=\"mark\" x=\"\(x)\" y=\"\(height - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\""
            out += " rx=\"1\" fill=\"\(bar.tone.hex)\"/>"
            out += link == nil ? "</g>" : "</a>"
        }
        out += "</svg>"
        return out
    }
}
