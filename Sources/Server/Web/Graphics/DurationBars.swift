/// How long a plan branch's builds took, as a small bar chart, oldest left.
package enum DurationBars {
    package struct Bar: Sendable, Hashable {
        /// nil when the build recorded no duration (it never ran, or still runs).
        package var durationMs: Int?
        package var status: String
        /// The tooltip's start: "abc1234 passed"; the duration follows.
        package var title: String
        package var href: String?

        package init(durationMs: Int?, status: String, title: String, href: String? = nil) {
            self.durationMs = durationMs
            self.status = status
            self.title = title
            self.href = href
        }
    }

    static let height = 40

    /// `bars` (given oldest first) as an inline SVG (`class="gfx duration-bars"`, bars as
    /// described in `BarStrip`), each as tall as its duration against the longest; a zero or
    /// missing duration still shows, 1 pixel high. No bars, an empty string.
    package static func svg(_ bars: [Bar]) -> String {
        let longest = bars.compactMap(\.durationMs).max() ?? 0
        let drawn = bars.map { bar in
            let duration = max(0, bar.durationMs ?? 0)
            let barHeight = longest > 0 ? Int((Double(duration) / Double(longest) * Double(height)).rounded()) : 0
            let time = bar.durationMs.map { DurationText.format(milliseconds: $0) } ?? "no duration"
            return BarStrip.Bar(height: barHeight, tone: StatusTone(status: bar.status),
                                title: bar.title.isEmpty ? time : "\(bar.title) — \(time)", href: bar.href)
        }
        let noun = bars.count == 1 ? "build" : "builds"
        return BarStrip.svg(drawn, barWidth: 8, gap: 3, height: height, cssClass: "duration-bars",
                            label: "durations of the last \(bars.count) \(noun), longest \(DurationText.format(milliseconds: longest))")
    }
}
