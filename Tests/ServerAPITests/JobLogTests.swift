import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Runner
@testable import Server
import Store
import Testing
import TestSupport

/// The job page and its log: windows of whole lines with the right numbers, colours as classes
/// and everything else escaped, the live stream resumable by byte offset, search on the server.
@Suite struct JobLogTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("templates/web").path

    /// A repository with a recorded run: a job printing hostile HTML and colours, a matrix job
    /// (spaces, parentheses, `=` in its name), and a job that fails in its second step.
    static func recordedRepository() throws -> GitFixture {
        let repo = try GitFixture(files: [
            ".gitci.yml": """
                jobs:
                  hostile:
                    steps: ["sh hostile.sh"]
                  test:
                    matrix:
                      python: ["3.12"]
                    steps: ["echo matrix says hi"]
                  broken:
                    steps: ["echo setting up", "echo doomed; exit 3", "echo never"]

                """,
            "hostile.sh": "printf '<img src=x onerror=alert(1)>\\n'\nprintf '\\033[31mred words\\033[0m and plain\\n'\n",
        ])
        let run = try GitciBinary.run(["run", "--commit", "HEAD", "--record"], in: repo.path)
        guard run.status == 0 || run.status == 1 else { throw FixtureError("gitci run failed: \(run.stderr)") }
        return repo
    }

    struct Served {
        let repo: GitFixture
        let name: String
        let head: String
        let home: TemporaryDirectory
        let served: ServedRepositories

        init(_ repo: GitFixture) throws {
            self.repo = repo
            head = try repo.git(["rev-parse", "HEAD"])
            served = ServedRepositories(registered: [], extra: [repo.path + "/.git"])
            home = TemporaryDirectory()
            name = try #require(served.entries.first?.name)
        }

        func app() throws -> some ApplicationProtocol {
            var configuration = ServerConfiguration(repositories: served, coordinator: try CoordinatorStore.open(home: home.path))
            try configuration.loadWebTemplates(from: JobLogTests.templates)
            return buildApplication(configuration)
        }

        var state: StateFolder { StateFolder(gitCommonDirectory: repo.path + "/.git") }

        func job(_ job: String) -> String { WebPath.job(name, head, job) }
    }

    // MARK: - The page

    @Test func theJobPageShowsTheLogEscapedAndColoured() async throws {
        let served = try Served(try Self.recordedRepository())
        let status = try GitciBinary.run(["status", served.head, "--json"], in: served.repo.path)
        let names = try #require((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
            .compactMap { $0["name"] as? String }
        let matrix = try #require(names.first { $0.hasPrefix("test") })
        #expect(matrix.contains(" ") && matrix.contains("("), "a matrix job's name has spaces and parentheses: \(matrix)")

        try await served.app().test(.router) { client in
            try await client.execute(uri: served.job("hostile"), method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
                #expect(!html.contains("<img src=x"))
                #expect(html.contains("<span class=\"ansi-red\">red words</span> and plain"))
                #expect(html.contains("id=\"log\""))
                #expect(html.contains("data-running=\"false\""))
                #expect(html.contains("id=\"log-status\""))
                #expect(html.contains("id=\"log-search\""))
                #expect(html.contains("href=\"\(WebPath.commit(served.name, served.head))\""))
                #expect(html.contains("<span class=\"line\" id=\"L1\"><a class=\"ln\" href=\"#L1\">1</a>"))
                #expect(!html.contains("style=\""), "the CSP forbids inline styles")
                #expect(!html.contains("<img"), "no element from the log reaches the page")
            }
            try await client.execute(uri: served.job(matrix), method: .get) { response in
                #expect(response.status == .ok, "a name with spaces, parentheses and = is found: \(served.job(matrix))")
                #expect(String(buffer: response.body).contains("matrix says hi"))
            }
            try await client.execute(uri: served.job("broken"), method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("class=\"step failed\" id=\"step-2\""), "the failed step's header is marked")
                #expect(html.contains("Failed in <a href=\"#step-2\">step 2: echo doomed; exit 3</a>"))
                #expect(html.contains("id=\"step-1\"") && !html.contains("class=\"step failed\" id=\"step-1\""))
            }
            try await client.execute(uri: "/api/v1" + served.job(matrix), method: .get) { response in
                #expect(response.status == .ok)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                #expect(document["name"] as? String == matrix)
                #expect(document["status"] as? String == "passed")
                #expect((document["log_size"] as? Int ?? 0) > 0)
            }
            try await client.execute(uri: "/api/v1/repos/\(served.name)/commits/\(served.head)/jobs/\(WebPath.encode(matrix))/log", method: .get) { response in
                #expect(response.status == .ok, "the text API decodes the job's name too")
                #expect(String(buffer: response.body).contains("matrix says hi"))
            }
            let missing = [
                ("/repos/nope/commits/\(served.head)/jobs/hostile", "nope"),
                ("/repos/\(served.name)/commits/0000000000000000000000000000000000000000/jobs/hostile", "0000000000"),
                (served.job("no such job"), "no such job"),
            ]
            for (uri, named) in missing {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(String(buffer: response.body).contains(named), "the 404 page names what is missing")
                }
            }
            for bad in ["from=-1", "from=abc", "from=99999999999", "from=1e3"] {
                try await client.execute(uri: served.job("hostile") + "?" + bad, method: .get) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
            for bad in ["offset=-5", "offset=x", "", "offset=99999999999"] {
                try await client.execute(uri: served.job("hostile") + "/log/before?" + bad, method: .get) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }
        }
    }

    // MARK: - Windows of a large log

    /// A log of `count` numbered lines written under the state folder as the run's log of `job`.
    static func numberedLines(_ count: Int, from first: Int = 1) -> String {
        (first..<(first + count)).map { "line \($0) \(String(repeating: "x", count: $0 % 90))\n" }.joined()
    }

    @Test func earlierWindowsAreWholeLinesWithTheirNumbers() async throws {
        let served = try Served(try Self.recordedRepository())
        // The recorded log of a job, replaced by a long one: 20,000 numbered lines.
        let document = try GitciBinary.run(["status", served.head, "--json"], in: served.repo.path).stdout
        let jobs = try #require((try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
        let recorded = try #require(jobs.first { $0["name"] as? String == "hostile" }?["log"] as? String)
        let log = Self.numberedLines(20_000)
        try Data(log.utf8).write(to: URL(fileURLWithPath: recorded))
        let size = log.utf8.count

        try await served.app().test(.router) { client in
            var html = ""
            try await client.execute(uri: served.job("hostile"), method: .get) { response in
                html = String(buffer: response.body)
            }
            let start = try #require(Self.attribute("data-start", in: html).flatMap { Int($0) })
            let end = try #require(Self.attribute("data-end", in: html).flatMap { Int($0) })
            #expect(end == size)
            #expect(start > 0 && size - start <= Int(LogFileWindow.windowSize))
            let firstNumber = Self.lineNumber(before: start, in: log)
            #expect(html.contains("id=\"L\(firstNumber)\"><a class=\"ln\" href=\"#L\(firstNumber)\">\(firstNumber)</a>line \(firstNumber) "),
                    "the tail starts at a line start, numbered as counted from the top")
            #expect(html.contains("id=\"L20000\""))
            #expect(!html.contains("id=\"L\(firstNumber - 1)\""))
            #expect(html.contains("id=\"log-earlier\""))

            // Walk back to the top: each window ends where the previous began, no line twice.
            var offset = start
            var seen = Set<Int>()
            var steps = 0
            while offset > 0, steps < 100 {
                steps += 1
                try await client.execute(uri: served.job("hostile") + "/log/before?offset=\(offset)", method: .get) { response in
                    #expect(response.status == .ok)
                    let newStart = try #require(response.headers[HTTPField.Name("X-Log-Start")!].flatMap { Int($0) })
                    let first = try #require(response.headers[HTTPField.Name("X-Log-First-Line")!].flatMap { Int($0) })
                    #expect(newStart < offset)
                    #expect(newStart == 0 || log.utf8[log.utf8.index(log.utf8.startIndex, offsetBy: newStart - 1)] == 10, "a line start")
                    #expect(first == Self.lineNumber(before: newStart, in: log))
                    let body = String(buffer: response.body)
                    let numbers = Self.lineIDs(in: body)
                    #expect(numbers.first == first)
                    #expect(numbers.last == Self.lineNumber(before: offset, in: log) - 1, "up to the line before the offset")
                    #expect(seen.isDisjoint(with: numbers))
                    seen.formUnion(numbers)
                    offset = newStart
                }
            }
            #expect(offset == 0)
            #expect(seen.count == firstNumber - 1, "every earlier line exactly once")

            // Without JavaScript: ?from= shows the window from that line.
            let middle = log.utf8.count / 2
            try await client.execute(uri: served.job("hostile") + "?from=\(middle)", method: .get) { response in
                let page = String(buffer: response.body)
                let first = Self.lineNumber(before: middle, in: log)
                let shownStart = try #require(Self.attribute("data-start", in: page).flatMap { Int($0) })
                #expect(shownStart <= middle && Self.lineNumber(before: shownStart, in: log) == first, "the line holding the offset")
                #expect(Self.lineIDs(in: page).first == first)
                #expect(page.contains("id=\"log-later\""))
            }
        }
    }

    @Test func countingTheLinesOfFiftyMegabytes() throws {
        let folder = TemporaryDirectory()
        let path = folder.url("big.log")
        // 50 MiB of lines of varied length, some with colours.
        var chunk = ""
        var linesPerChunk = 0
        while chunk.utf8.count < 1 << 20 {
            chunk += linesPerChunk % 7 == 0 ? "\u{1B}[32mok\u{1B}[0m step \(linesPerChunk)\n" : "output \(String(repeating: "y", count: linesPerChunk % 120))\n"
            linesPerChunk += 1
        }
        let data = Data(chunk.utf8)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        for _ in 0..<50 { handle.write(data) }
        try handle.close()
        let file = try #require(LogFileWindow.open(path))
        #expect(file.size == Int64(data.count * 50))

        let clock = ContinuousClock()
        var lines = 0
        let took = clock.measure { lines = file.lineNumber(at: file.size) - 1 }
        #expect(lines == linesPerChunk * 50)
        // In the middle of the 31st chunk, at a line start.
        let offset = Int64(data.count * 30) + Int64(chunk.utf8.prefix(5000).lastIndex(of: 10).map { chunk.utf8.distance(from: chunk.utf8.startIndex, to: $0) + 1 } ?? 0)
        #expect(file.lineNumber(at: offset) == linesPerChunk * 30 + chunk.utf8.prefix(5000).filter { $0 == 10 }.count + 1)
        let searchTook = clock.measure {
            let result = LogSearch.search(file, needle: LogSearch.normalize("OUTPUT yyyyyyyyyy")!)
            #expect(result.hits.count == LogSearch.mostHits && result.truncated, "bounded: at most \(LogSearch.mostHits) hits")
        }
        let missTook = clock.measure {
            #expect(LogSearch.search(file, needle: LogSearch.normalize("not in this log")!).hits.isEmpty)
        }
        print("50 MiB log: \(lines) lines counted in \(took); search to 200 hits \(searchTook); a search without a hit \(missTook)")
    }

    // MARK: - ANSI

    static func html(_ text: String) -> String {
        var style = AnsiStyle.plain
        return AnsiText.html(Array(text.utf8), style: &style)
    }

    @Test func coloursBecomeClassesAndOtherEscapesAreDropped() {
        #expect(Self.html("\u{1B}[31mred\u{1B}[0m plain") == "<span class=\"ansi-red\">red</span> plain")
        #expect(Self.html("\u{1B}[1;92mok\u{1B}[39m bold") == "<span class=\"ansi-bright-green ansi-bold\">ok</span><span class=\"ansi-bold\"> bold</span>")
        #expect(Self.html("\u{1B}[44;97mx\u{1B}[49my") == "<span class=\"ansi-bright-white ansi-bg-blue\">x</span><span class=\"ansi-bright-white\">y</span>")
        #expect(Self.html("\u{1B}[2;3;4mz\u{1B}[m") == "<span class=\"ansi-dim ansi-italic ansi-underline\">z</span>")
        #expect(Self.html("\u{1B}[38;5;196mhot\u{1B}[0m") == "<span class=\"ansi-bright-red\">hot</span>")
        #expect(Self.html("\u{1B}[38;5;2mlow\u{1B}[0m") == "<span class=\"ansi-green\">low</span>")
        #expect(Self.html("\u{1B}[38;2;0;0;250mtrue\u{1B}[0m") == "<span class=\"ansi-blue\">true</span>")
        #expect(Self.html("\u{1B}[48;5;999mbad\u{1B}[0m") == "bad", "an out-of-range colour is dropped")
        // Cursor movement, erasing, OSC titles and links, charset switches: gone.
        #expect(Self.html("a\u{1B}[2Kb\u{1B}[1Ac\u{1B}]0;title\u{07}d\u{1B}]8;;http://x\u{1B}\\e\u{1B}(Bf\u{1B}[?25lg") == "abcdefg")
        // A progress bar redrawn with \r: what is left at the end; a CRLF line end is no redraw.
        #expect(Self.html("10%\r50%\r100% done") == "100% done")
        #expect(Self.html("windows line\r\n".replacingOccurrences(of: "\n", with: "")) == "windows line")
        #expect(Self.html("<script>alert('x') & \"y\"</script>") == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;")
        #expect(Self.html("\u{1B}[31m<b>\u{1B}[0m") == "<span class=\"ansi-red\">&lt;b&gt;</span>")
        // Other control characters are dropped; a tab stays.
        #expect(Self.html("a\u{08}b\u{00}c\td") == "abc\td")
        // An escape cut at the line's end does not crash.
        #expect(Self.html("x\u{1B}[3") == "x")
        #expect(Self.html("x\u{1B}") == "x")
    }

    @Test func invalidUTF8IsReplacedNotFatal() {
        var style = AnsiStyle.plain
        let html = AnsiText.html([0x61, 0xFF, 0xFE, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0xC3, 0x62], style: &style)
        #expect(html == "a\u{FFFD}\u{FFFD}<span class=\"ansi-red\">\u{FFFD}b</span>")
        let rendered = LogLines.html([0xE2, 0x82, 0x0A, 0x41, 0x0A], firstLine: 7, failedStep: nil)
        #expect(rendered.lines == 2)
        #expect(rendered.html.contains("id=\"L8\"><a class=\"ln\" href=\"#L8\">8</a>A</span>"))
    }

    @Test func coloursCarryOverLinesAndStepHeadersAreAnchored() {
        let log = "\u{1B}[33mwarn\nstill yellow\u{1B}[0m\n\n==> step 2/3: unit tests\nplain\n"
        let rendered = LogLines.html(Array(log.utf8), firstLine: 10, failedStep: 2)
        #expect(rendered.lines == 5)
        #expect(rendered.html.contains("<span class=\"ansi-yellow\">still yellow</span></span>"), "each line's spans close in it")
        #expect(rendered.html.contains("<span class=\"line\" id=\"L12\"><a class=\"ln\" href=\"#L12\">12</a></span>"), "an empty line is a line")
        #expect(rendered.html.contains("<span class=\"line failed-step\" id=\"L13\"><a class=\"ln\" href=\"#L13\">13</a><span class=\"step failed\" id=\"step-2\">==&gt; step 2/3: unit tests</span></span>"))
        let header = StepHeader(Array("==> step 12/40: build (x)".utf8))
        #expect(header?.number == 12 && header?.count == 40 && header?.name == "build (x)")
        #expect(StepHeader(Array("==> step x/40: build".utf8)) == nil)
        #expect(StepHeader(Array("  ==> step 1/2: build".utf8)) == nil)
    }

    // MARK: - Search

    @Test func searchFindsLinesIgnoringCaseAndColours() async throws {
        let folder = TemporaryDirectory()
        let path = folder.url("job.log")
        var log = Self.numberedLines(3000)
        log += "a \u{1B}[31mNeed\u{1B}[0mle split by colour\n"
        log += "progress 10%\rNEEDLE at 100%\n"
        log += "hidden needle\rreplaced\n"
        log += "<b>needle</b> & more\n"
        try Data(log.utf8).write(to: URL(fileURLWithPath: path))
        let file = try #require(LogFileWindow.open(path))
        let result = LogSearch.search(file, needle: try #require(LogSearch.normalize("needle")))
        #expect(result.hits.map(\.line) == [3001, 3002, 3004])
        #expect(result.hits.map(\.text) == ["a Needle split by colour", "NEEDLE at 100%", "<b>needle</b> & more"])
        #expect(result.hits.last?.html == "&lt;b&gt;<mark>needle</mark>&lt;/b&gt; &amp; more")
        #expect(!result.truncated)
        let offset = try #require(result.hits.first?.offset)
        #expect(file.lineNumber(at: offset) == 3001, "a hit's offset is its line's start")

        let many = LogSearch.search(file, needle: try #require(LogSearch.normalize("LINE")))
        #expect(many.hits.count == LogSearch.mostHits && many.truncated)
        #expect(many.hits.map(\.line) == Array(1...LogSearch.mostHits))
        #expect(LogSearch.normalize(String(repeating: "é", count: 500))?.count == LogSearch.longestQuery)
        #expect(LogSearch.normalize("\u{07}\n") == nil)

        let served = try Served(try Self.recordedRepository())
        try await served.app().test(.router) { client in
            try await client.execute(uri: served.job("hostile") + "?q=RED+WORDS", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("id=\"log-hits\""))
                #expect(html.contains("<mark>red words</mark> and plain"))
                #expect(html.contains("value=\"RED WORDS\""), "the form shows the query, a form's + as a space")
            }
            try await client.execute(uri: "/api/v1" + served.job("hostile") + "/log/search?q=%3Cimg", method: .get) { response in
                #expect(response.status == .ok)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                let hits = try #require(document["hits"] as? [[String: Any]])
                #expect(hits.count == 1)
                #expect(hits.first?["text"] as? String == "<img src=x onerror=alert(1)>")
                #expect((hits.first?["href"] as? String)?.hasSuffix("#L\(hits.first?["line"] as? Int ?? -1)") == true)
            }
            try await client.execute(uri: "/api/v1" + served.job("hostile") + "/log/search", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    // MARK: - The live stream

    struct Event: Equatable {
        var id: String?
        var name: String?
        var data: [String]
    }

    static func events(in text: String) -> [Event] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var event = Event(id: nil, name: nil, data: [])
            var any = false
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)); any = true }
                if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)); any = true }
                if line.hasPrefix("data: ") { event.data.append(String(line.dropFirst(6))); any = true }
            }
            return any ? event : nil
        }
    }

    /// The text of the lines the events carry (the line numbers and markup taken off).
    static func texts(_ events: [Event]) -> [String] {
        events.filter { $0.name == nil }.flatMap(\.data).map { html in
            let afterNumber = html.range(of: "</a>").map { String(html[$0.upperBound...]) } ?? html
            return String(afterNumber.dropLast("</span>".count))
        }
    }

    @Test func aFinishedLogStreamsOnceAndEnds() async throws {
        let folder = TemporaryDirectory()
        let path = folder.url("job.log")
        let log = "one\ntwo\n<three>\nlast without newline"
        try Data(log.utf8).write(to: URL(fileURLWithPath: path))
        let all = try await Self.collect(LogEventStream(from: 0) { .init(path: path, finished: true, status: "failed") })
        let events = Self.events(in: all)
        #expect(Self.texts(events) == ["one", "two", "&lt;three&gt;", "last without newline"])
        #expect(events.last?.name == "end")
        #expect(events.last?.data.first?.contains("\"status\":\"failed\"") == true)
        #expect(events.last?.id == String(log.utf8.count))

        // Resuming after "two" (the id of an event there) gives exactly what follows.
        let resumed = Self.events(in: try await Self.collect(LogEventStream(from: 8) { .init(path: path, finished: true, status: "failed") }))
        #expect(Self.texts(resumed) == ["&lt;three&gt;", "last without newline"])
        #expect(resumed.first?.data.first?.contains("id=\"L3\"") == true, "numbered as in the whole log")

        let served = try Served(try Self.recordedRepository())
        try await served.app().test(.router) { client in
            try await client.execute(uri: served.job("hostile") + "/log/events", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
                let events = Self.events(in: String(buffer: response.body))
                #expect(Self.texts(events).contains("&lt;img src=x onerror=alert(1)&gt;"))
                #expect(events.last?.name == "end")
            }
            var first = 0
            try await client.execute(uri: served.job("hostile") + "/log/events", method: .get) { response in
                let events = Self.events(in: String(buffer: response.body)).filter { $0.name == nil }
                first = Int(events.first?.id ?? "") ?? -1
                #expect(first > 0)
            }
            try await client.execute(uri: served.job("hostile") + "/log/events", method: .get,
                                     headers: [HTTPField.Name("Last-Event-ID")!: "\(first)"]) { response in
                let events = Self.events(in: String(buffer: response.body))
                #expect(!Self.texts(events).contains("&lt;img src=x onerror=alert(1)&gt;"), "what came before the id is not sent again")
                #expect(events.last?.name == "end")
            }
            try await client.execute(uri: served.job("hostile") + "/log/events", method: .get,
                                     headers: [HTTPField.Name("Last-Event-ID")!: "-3"]) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    /// Whether the test's job still runs, as the stream asks it.
    final class Switch: @unchecked Sendable {
        private let lock = NSLock()
        private var finished = false
        func finish() { lock.withLock { finished = true } }
        var isFinished: Bool { lock.withLock { finished } }
    }

    @Test func aGrowingLogIsStreamedAsItGrows() async throws {
        let folder = TemporaryDirectory()
        let path = folder.url("job.log")
        try Data("first\nsecond\npart".utf8).write(to: URL(fileURLWithPath: path))
        let running = Switch()
        let stream = LogEventStream(from: 0) { .init(path: path, finished: running.isFinished, status: running.isFinished ? "passed" : "running") }
        let (chunks, sink) = AsyncStream.makeStream(of: String.self)
        let writing = Task { try await stream.body.write(Collector(sink: sink)) }
        defer { writing.cancel() }
        var received = ""
        var iterator = chunks.makeAsyncIterator()
        /// Reads events until `done` holds of what came; bounded: the stream polls every 250 ms.
        func read(until done: (String) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(30)
            while !done(received), ContinuousClock.now < deadline {
                guard let next = await iterator.next() else { return done(received) }
                received += next
            }
            return done(received)
        }
        #expect(await read { Self.texts(Self.events(in: $0)).count >= 2 })
        #expect(Self.texts(Self.events(in: received)) == ["first", "second"], "the unfinished line is held back")

        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("ial line\nthird\n".utf8))
        #expect(await read { Self.texts(Self.events(in: $0)).count >= 4 })
        #expect(Self.texts(Self.events(in: received)) == ["first", "second", "partial line", "third"])

        handle.write(Data("fourth\nunfinished".utf8))
        try handle.close()
        #expect(await read { Self.texts(Self.events(in: $0)).count >= 5 })
        running.finish()
        #expect(await read { $0.contains("event: end") })
        let events = Self.events(in: received)
        #expect(Self.texts(events) == ["first", "second", "partial line", "third", "fourth", "unfinished"], "every line once, in order")
        #expect(events.last?.name == "end" && events.last?.data.first?.contains("passed") == true)
        let ids = events.compactMap { $0.id.flatMap(Int.init) }
        #expect(ids == ids.sorted() && ids.last == "first\nsecond\npartial line\nthird\nfourth\nunfinished".utf8.count)
        _ = try await writing.value
    }

    struct Collector: ResponseBodyWriter {
        let sink: AsyncStream<String>.Continuation
        mutating func write(_ buffer: ByteBuffer) async throws { sink.yield(String(buffer: buffer)) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws { sink.finish() }
    }

    static func collect(_ stream: LogEventStream) async throws -> String {
        let (chunks, sink) = AsyncStream.makeStream(of: String.self)
        try await stream.body.write(Collector(sink: sink))
        var text = ""
        for await chunk in chunks { text += chunk }
        return text
    }

    // MARK: - A running job

    @Test func aRunningJobsLogIsFoundStreamedAndServedAsText() async throws {
        let served = try Served(try Self.recordedRepository())
        let queue = try BuildQueue.open(stateFolder: served.state.path)
        _ = try queue.update { try $0.enqueue(commit: served.head, branch: "main", ref: "refs/heads/main") }
        let build = try #require(try queue.claim(upTo: 1) { "run-live" }.first)
        queue.setJobStatus(build.id, job: "live", status: "running", started: Date().timeIntervalSince1970)
        let folder = (served.state.logs as NSString).appendingPathComponent("run-live")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent("001-live.log")
        try Data("\n==> step 1/1: work\nworking <hard>\nhalf a li".utf8).write(to: URL(fileURLWithPath: path))

        try await served.app().test(.router) { client in
            var end = 0
            try await client.execute(uri: served.job("live"), method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("data-running=\"true\""))
                #expect(html.contains("working &lt;hard&gt;"))
                #expect(!html.contains("half a li"), "a running job's unfinished line waits for the stream")
                end = try #require(Self.attribute("data-end", in: html).flatMap { Int($0) })
                #expect(end == "\n==> step 1/1: work\nworking <hard>\n".utf8.count)
            }
            try await client.execute(uri: "/api/v1/repos/\(served.name)/commits/\(served.head)/jobs/live/log", method: .get) { response in
                #expect(response.status == .ok, "the text API serves a running job's log")
                #expect(String(buffer: response.body).contains("working <hard>"))
            }
            try await client.execute(uri: "/api/v1" + served.job("live"), method: .get) { response in
                let document = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                #expect(document["status"] as? String == "running")
                #expect(document["running"] as? Bool == true)
                #expect(document["log"] as? String == path)
                #expect(document["log_size"] as? Int == "\n==> step 1/1: work\nworking <hard>\nhalf a li".utf8.count)
            }
            // The stream from the page's end: the job finishes while it is open.
            async let streamed = client.execute(uri: served.job("live") + "/log/events?from=\(end)", method: .get)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data("ne\ndone\n".utf8))
            try handle.close()
            queue.setJobStatus(build.id, job: "live", status: "passed", started: build.started)
            let response = try await streamed
            let events = Self.events(in: String(buffer: response.body))
            #expect(Self.texts(events) == ["half a line", "done"])
            #expect(events.last?.name == "end" && events.last?.data.first?.contains("passed") == true)
        }
    }

    // MARK: - Helpers

    static func attribute(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: name + "=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The number of the line that starts at byte `offset` of `text`.
    static func lineNumber(before offset: Int, in text: String) -> Int {
        text.utf8.prefix(offset).filter { $0 == 10 }.count + 1
    }

    static func lineIDs(in html: String) -> [Int] {
        html.components(separatedBy: "<span class=\"line").dropFirst().compactMap { part in
            guard let range = part.range(of: "id=\"L") else { return nil }
            return Int(part[range.upperBound...].prefix { $0.isNumber })
        }
    }
}
