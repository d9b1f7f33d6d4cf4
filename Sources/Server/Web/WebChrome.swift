import Mustache

/// What every page's frame shows: the stylesheet's version and who is signed in, with the
/// token their forms carry against cross-site requests.
struct WebChrome: Sendable {
    let assets: String
    let user: String?
    let csrf: String?
}

/// A status as pages show it: its text, the command line's colour as a CSS class, its symbol.
struct StatusLabel: Sendable {
    let text: String
    let tone: String
    let symbol: String

    init(_ status: String) {
        text = status
        tone = StatusTone(status: status).cssClass
        symbol = StatusTone.symbol(for: status)
    }
}

extension StatusLabel: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": text
        case "tone": tone
        case "symbol": symbol
        default: nil
        }
    }
}
