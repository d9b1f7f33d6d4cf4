/// A status badge for READMEs (`/badge/REPO/BRANCH.svg`): a complete SVG document in the
/// shields.io "flat" look, so it sits among other badges.
package enum Badge {
    static let height = 20
    static let fontSize = 11.0
    /// Space left and right of each text.
    static let padding = 6
    /// Longer labels and messages are cut with an ellipsis: a branch name may be of any length,
    /// a badge may not.
    static let maximumTextWidth = 300.0
    static let labelColour = "#555"

    /// The label part on gray, the message part in the colour of `status` (`StatusTone`); each
    /// part as wide as its text is estimated to be (`TextWidth`), and the text held to that
    /// width with `textLength` so that another font cannot make it overflow. An empty label
    /// leaves the message part alone.
    package static func svg(label: String = "gitci", message: String, status: String) -> String {
        let label = SVGText.truncate(label, toWidth: maximumTextWidth, fontSize: fontSize)
        let message = SVGText.truncate(message, toWidth: maximumTextWidth, fontSize: fontSize)
        let labelText = Int(TextWidth.estimate(label, fontSize: fontSize).rounded(.up))
        let messageText = Int(TextWidth.estimate(message, fontSize: fontSize).rounded(.up))
        let labelWidth = label.isEmpty ? 0 : labelText + 2 * padding
        let messageWidth = messageText + 2 * padding
        let width = labelWidth + messageWidth
        let colour = StatusTone(status: status).hex
        let title = SVGText.escape(label.isEmpty ? message : "\(label): \(message)")

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\""
        out += " viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(title)\">"
        out += "<title>\(title)</title>"
        out += "<linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>"
        out += "<stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>"
        out += "<clipPath id=\"r\"><rect width=\"\(width)\" height=\"\(height)\" rx=\"3\" fill=\"#fff\"/></clipPath>"
        out += "<g clip-path=\"url(#r)\">"
        if labelWidth > 0 { out += "<rect width=\"\(labelWidth)\" height=\"\(height)\" fill=\"\(labelColour)\"/>" }
        out += "<rect x=\"\(labelWidth)\" width=\"\(messageWidth)\" height=\"\(height)\" fill=\"\(colour)\"/>"
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"url(#s)\"/></g>"
        out += "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana, Geneva, 'DejaVu Sans', sans-serif\""
        out += " font-size=\"\(Int(fontSize))\">"
        if labelWidth > 0 { out += text(label, centre: labelWidth / 2, length: labelText) }
        out += text(message, centre: labelWidth + messageWidth / 2, length: messageText)
        out += "</g></svg>"
        return out
    }

    /// The text with the shadow under it that keeps white letters readable on the light tones.
    private static func text(_ text: String, centre: Int, length: Int) -> String {
        let escaped = SVGText.escape(text)
        return "<text x=\"\(centre)\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\" textLength=\"\(length)\" aria-hidden=\"true\">\(escaped)</text>"
            + "<text x=\"\(centre)\" y=\"14\" textLength=\"\(length)\">\(escaped)</text>"
    }
}
