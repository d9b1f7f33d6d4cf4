/// The last results of a plan branch at a glance: one small bar per result, oldest left.
package enum Sparkline {
    package struct Point: Sendable, Hashable {
        package var status: String
        /// The tooltip: "abc1234 passed".
        package var title: String
        package var href: String?

        package init(status: String, title: String, href: String? = nil) {
            self.status = status
            self.title = title
            self.href = href
        }
    }

    package static let maximumPoints = 20
    static let height = 20

    /// The last `maximumPoints` of `points` (given oldest first) as an inline SVG
    /// (`class="gfx sparkline"`, bars as described in `BarStrip`); no points, an empty string.
    ///
    /// Failures stand tallest and the gray statuses (queued, skipped, cancelled, ...) lowest, so
    /// the strip reads without telling red from green.
    package static func svg(_ points: [Point]) -> String {
        let shown = points.suffix(maximumPoints)
        let bars = shown.map { point in
            let tone = StatusTone(status: point.status)
            let barHeight: Int
            switch tone {
            case .red: barHeight = height
            case .green, .blue: barHeight = height * 13 / 20
            case .gray: barHeight = height * 7 / 20
            }
            return BarStrip.Bar(height: barHeight, tone: tone, title: point.title, href: point.href)
        }
        return BarStrip.svg(bars, barWidth: 6, gap: 2, height: height, cssClass: "sparkline", label: label(shown))
    }

    /// "last 20 results: 18 passed, 2 failed", the statuses in the order they first occur.
    private static func label(_ points: ArraySlice<Point>) -> String {
        var counts: [String: Int] = [:]
        var statuses: [String] = []
        for point in points {
            if counts[point.status] == nil { statuses.append(point.status) }
            counts[point.status, default: 0] += 1
        }
        let noun = points.count == 1 ? "result" : "results"
        return "last \(points.count) \(noun): " + statuses.map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
    }
}
