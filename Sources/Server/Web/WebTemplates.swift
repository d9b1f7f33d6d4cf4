import Crypto
import Foundation
import Hummingbird
import Mustache

/// The web UI's Mustache pages and static files (`templates/web/`), read once when the server
/// starts: a page is rendered from memory, and a broken template stops `gitci serve` at start
/// with the file named instead of failing one request later.
struct WebTemplates: Sendable {
    struct StaticFile: Sendable {
        let body: ByteBuffer
        let contentType: String
        let etag: String
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    let library: MustacheLibrary
    let staticFiles: [String: StaticFile]
    /// Appended to static URLs so that a browser never keeps a stale stylesheet or script.
    let version: String

    static func load(folder: String) throws(LoadError) -> WebTemplates {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder) else {
            throw LoadError(description: "cannot read the web templates folder \(folder)")
        }
        var library = MustacheLibrary()
        for name in names.sorted() where name.hasSuffix(".mustache") {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let text = manager.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw LoadError(description: "cannot read \(path)")
            }
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch let error as MustacheTemplate.ParserError {
                throw LoadError(description: "\(path):\(error.context.lineNumber):\(error.context.columnNumber): \(error.error)")
            } catch {
                throw LoadError(description: "\(path): \(error)")
            }
        }
        var files: [String: StaticFile] = [:]
        var digest = SHA256()
        let staticFolder = (folder as NSString).appendingPathComponent("static")
        for name in ((try? manager.contentsOfDirectory(atPath: staticFolder)) ?? []).sorted() {
            guard let type = contentTypes[(name as NSString).pathExtension],
                  let data = manager.contents(atPath: (staticFolder as NSString).appendingPathComponent(name)) else { continue }
            let hash = SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
            digest.update(data: data)
            files[name] = StaticFile(body: ByteBuffer(data: data), contentType: type, etag: "\"\(hash)\"")
        }
        let version = digest.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        return WebTemplates(library: library, staticFiles: files, version: version)
    }

    static let contentTypes = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
                               "svg": "image/svg+xml", "png": "image/png"]

    /// `template` rendered with `object` as an HTML page.
    func page(_ template: String, _ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        guard let html = library.render(object, withTemplate: template) else {
            return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "no template named \(template)\n")))
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
