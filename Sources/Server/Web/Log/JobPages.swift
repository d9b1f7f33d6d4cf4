import Foundation
import HTTPTypes
import Hummingbird
import Store

/// The job page and everything about a job's log: the page (the log's tail rendered on the
/// server, or the window `?from=` asks for, and the search `?q=` asks for), earlier lines for
/// the page's script, the live stream of a running job's log, and the JSON answers.
struct JobPages: Sendable {
    let repositories: ServedRepositories

    func addRoutes(to router: Router<BasicRequestContext>, web: WebController) {
        let job = "/repos/:repo/commits/:rev/jobs/:job"
        router.get(RouterPath(job)) { request, context in
            try web.page(request, "job") { try page(request, context) }
        }
        router.get(RouterPath(job + "/log/before")) { request, context in
            try web.readable(request)
            return try earlier(request, context)
        }
        router.get(RouterPath(job + "/log/events")) { request, context in
            try web.readable(request)
            return try events(request, context)
        }
        router.get(RouterPath("/api/v1" + job)) { request, context in
            try web.readable(request)
            let (_, located) = try locate(context)
            let size = located.path.flatMap(LogFileWindow.open)?.size
            // The log this coordinator has, a running job's too (the notes know only finished ones).
            var job = located.job
            job.log = located.path
            return try ResultsController.json(JobDocumentWithLog(job: job, logSize: size, running: located.running))
        }
        router.get(RouterPath("/api/v1" + job + "/log/search")) { request, context in
            try web.readable(request)
            let (opened, located) = try locate(context)
            guard let query = WebPath.query("q", of: request), let needle = LogSearch.normalize(query) else {
                throw HTTPError(.badRequest, message: "say what to search for with ?q=TEXT")
            }
            var result = located.path.flatMap(LogFileWindow.open).map { LogSearch.search($0, needle: needle) } ?? LogSearch.Result()
            let href = WebPath.job(opened.name, located.commit.hex, located.job.name)
            for index in result.hits.indices { result.hits[index].href = Self.hitHref(result.hits[index], page: href) }
            return try ResultsController.json(SearchDocument(query: query, hits: result.hits, truncated: result.truncated))
        }
    }

    // MARK: - Finding the job

    private func locate(_ context: BasicRequestContext) throws -> (OpenedRepository, JobLogLocator.Located) {
        let opened = try OpenedRepository.open(try WebPath.segment("repo", of: context), in: repositories)
        let commit = try opened.resolve(try WebPath.segment("rev", of: context))
        return (opened, try JobLogLocator.locate(opened, commit: commit, job: try WebPath.segment("job", of: context)))
    }

    // MARK: - The page

    private func page(_ request: Request, _ context: BasicRequestContext) throws -> JobPage {
        let (opened, located) = try locate(context)
        let from = try Self.offset("from", of: request)
        let query = WebPath.query("q", of: request)
        let href = WebPath.job(opened.name, located.commit.hex, located.job.name)
        let file = located.path.flatMap(LogFileWindow.open)
        var log = JobPage.LogView(empty: href, running: located.running)
        var steps: [JobPage.StepLink] = []
        var failed: JobPage.StepLink?
        var search: JobPage.SearchView?
        if let file {
            if let from, from > file.size {
                throw HTTPError(.badRequest, message: "the log of '\(located.job.name)' is \(file.size) bytes long: from=\(from) is past its end")
            }
            // A search shows its hits instead of the log: each leads to the log at its line.
            let needle = query.flatMap(LogSearch.normalize)
            let window = needle != nil ? nil
                : from.map { file.from($0, wholeLines: located.running) } ?? file.tail(wholeLines: located.running)
            let found = file.steps()
            let failedStep = located.failed ? file.failedStep(among: found) : nil
            let link = { (step: LogFileWindow.Step) in
                JobPage.StepLink(number: step.header.number, name: step.header.name,
                                 href: window?.contains(step.offset) == true ? "#step-\(step.header.number)"
                                     : "\(href)?from=\(step.offset)#step-\(step.header.number)",
                                 failed: step.offset == failedStep?.offset)
            }
            steps = found.prefix(200).map(link)
            failed = failedStep.map(link)
            if let window {
                log = JobPage.LogView(file: file, window: window, href: href, running: located.running, failedStep: failedStep?.header.number)
            } else {
                log = JobPage.LogView(empty: href, running: false, size: file.size)
            }
            if let query, let needle {
                let result = LogSearch.search(file, needle: needle)
                search = JobPage.SearchView(query: query, hits: result.hits.map { hit in
                    var hit = hit
                    hit.href = Self.hitHref(hit, page: href)
                    return hit
                }, truncated: result.truncated)
            }
        } else if let from, from > 0 {
            throw HTTPError(.badRequest, message: "the job '\(located.job.name)' has no log here: from=\(from) is past its end")
        }
        let job = located.job
        let api = "/api/v1" + href
        return JobPage(
            repository: opened.name, repositoryHref: WebPath.repository(opened.name), commit: located.commit.hex,
            short: located.commit.short, commitHref: WebPath.commit(opened.name, located.commit.hex), job: job.name, href: href,
            label: StatusLabel(job.status), duration: job.durationMs > 0 || !located.running ? DurationText.format(milliseconds: job.durationMs) : nil,
            node: job.node, started: job.started, stage: job.stage.isEmpty ? nil : job.stage, reason: job.reason,
            exitCode: job.exitCode.map(String.init), reusedFrom: job.reusedFrom,
            reusedHref: job.reusedFrom.map { WebPath.job(opened.name, $0, job.name) }, log: log, hasLog: file != nil,
            noLog: file != nil ? nil : located.running ? "No output yet: the job has not started writing its log."
                : "This job's log is not on this coordinator (it did not run here, wrote none, or was cleaned up).",
            steps: steps, hasSteps: steps.count > 1, failed: failed, query: query ?? "", search: search,
            jsonHref: api, textHref: api + "/log")
    }

    /// A search hit's place: the page from a few lines before it, at its line.
    static func hitHref(_ hit: LogSearch.Hit, page: String) -> String {
        "\(page)?from=\(max(0, hit.offset - 2048))#L\(hit.line)"
    }

    // MARK: - Earlier lines

    /// The whole lines in the window before `?offset=` as HTML, for the page's "Load earlier
    /// lines": where they start and the number of the first in `X-Log-Start` and
    /// `X-Log-First-Line`.
    private func earlier(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let (_, located) = try locate(context)
        guard let offset = try Self.offset("offset", of: request) else {
            throw HTTPError(.badRequest, message: "say where the lines end with ?offset=N (a byte offset)")
        }
        guard let file = located.path.flatMap(LogFileWindow.open) else {
            throw HTTPError(.notFound, message: "the job '\(located.job.name)' has no log here")
        }
        guard offset <= file.size else {
            throw HTTPError(.badRequest, message: "the log of '\(located.job.name)' is \(file.size) bytes long: offset=\(offset) is past its end")
        }
        let window = file.before(file.lineStart(containing: offset))
        let firstLine = file.lineNumber(at: window.lowerBound)
        let failed = located.failed ? file.failedStep(among: file.steps())?.header.number : nil
        let rendered = LogLines.html(file.read(window), firstLine: firstLine, failedStep: failed)
        return Response(status: .ok, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            Self.startHeader: String(window.lowerBound), Self.firstLineHeader: String(firstLine),
        ], body: .init(byteBuffer: ByteBuffer(string: rendered.html)))
    }

    static let startHeader = HTTPField.Name("X-Log-Start")!
    static let firstLineHeader = HTTPField.Name("X-Log-First-Line")!

    // MARK: - The live log

    private func events(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let (opened, located) = try locate(context)
        let resume = try request.headers[HTTPField.Name("Last-Event-ID")!].map { value -> Int64 in
            guard let offset = Int64(value.trimmingCharacters(in: .whitespaces)), offset >= 0 else {
                throw HTTPError(.badRequest, message: "Last-Event-ID is a byte offset of the log")
            }
            return offset
        }
        let from = try resume ?? Self.offset("from", of: request) ?? 0
        let repositories = self.repositories
        let name = opened.name, commit = located.commit, job = located.job.name
        let stream = LogEventStream(from: from) {
            // Asked again now and then: the job ends, or its log appears once it starts.
            guard let opened = try? OpenedRepository.open(name, in: repositories),
                  let located = try? JobLogLocator.locate(opened, commit: commit, job: job) else {
                return LogEventStream.JobState(path: nil, finished: true, status: "lost")
            }
            return located.state
        }
        return Response(status: .ok, headers: LogEventStream.headers, body: stream.body)
    }

    // MARK: - Query values

    /// A byte offset in the query: nil when absent; 400 when it is not a number or negative.
    static func offset(_ name: String, of request: Request) throws -> Int64? {
        guard let text = WebPath.query(name, of: request) else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw HTTPError(.badRequest, message: "\(name) is a byte offset of the log (a number from 0), not '\(text.prefix(40))'")
        }
        return value
    }
}

/// `GET /api/v1/repos/REPO/commits/REV/jobs/JOB`: the job's entry of the commit's document
/// (`status --json`), with its log's size in bytes (null without a log here).
struct JobDocumentWithLog: Encodable {
    let job: RunDocument.JobDocument
    let logSize: Int64?
    let running: Bool

    enum CodingKeys: String, CodingKey { case logSize = "log_size", running }

    func encode(to encoder: any Encoder) throws {
        try job.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(logSize, forKey: .logSize)
        try container.encode(running, forKey: .running)
    }
}

struct SearchDocument: Encodable {
    let query: String
    let hits: [LogSearch.Hit]
    let truncated: Bool
}
