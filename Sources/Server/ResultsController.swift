import Foundation
import GitKit
import Hummingbird
import Runner
import Store
import Worker

/// The read-only JSON API: the documents `gitci status --json`, `log --json` and `plans --json`
/// print, composed by the same code (CommitStatus, PlanStatus), and a job's log as text.
struct ResultsController: Sendable {
    let repositories: ServedRepositories
    /// Under `gitci serve --auth`, reading needs a person's token.
    let people: WebAuthentication

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/v1/repos") { request, _ in
            try people.checkReadable(request)
            return try Self.json(["repos": repositories.entries])
        }
        router.get("/api/v1/repos/:repo/plans") { request, context in
            try people.checkReadable(request)
            let opened = try open(context)
            let plans = (try? opened.queue?.plans()) ?? []
            let latest = (try? opened.queue?.latestBuilds()) ?? [:]
            return try Self.json(PlansDocument(plans: PlanStatus.entries(plans, latest: latest, index: opened.index)))
        }
        router.get("/api/v1/repos/:repo/commits/:rev") { request, context in
            try people.checkReadable(request)
            let opened = try open(context)
            let commit = try opened.resolve(try WebPath.segment("rev", of: context))
            let status = try CommitStatus(commit: commit, repository: opened.repository, index: opened.index, queue: opened.queue)
            return try Self.json(status.document(gitCommonDirectory: opened.repository.commonDirectory))
        }
        router.get("/api/v1/repos/:repo/log/:branch") { request, context in
            try people.checkReadable(request)
            let opened = try open(context)
            let branch = try WebPath.segment("branch", of: context)
            let tip = try opened.resolve(branch)
            let count = request.uri.queryParameters.get("n").flatMap { Int($0) }.map { min(max($0, 1), 1_000) } ?? 20
            let history = try opened.repository.firstParentHistory(from: tip, limit: count)
            let summaries = try opened.index.summaries(of: history.map(\.id))
            return try Self.json(LogDocument(branch: branch, commits: history.map {
                .init(commit: $0.id.hex, subject: $0.summary, status: summaries[$0.id]?.status ?? CommitResults.none)
            }))
        }
        router.get("/api/v1/repos/:repo/commits/:rev/jobs/:job/log") { request, context in
            try people.checkReadable(request)
            // The job page's locator: a running job's log too, not only recorded ones.
            let opened = try open(context)
            let commit = try opened.resolve(try WebPath.segment("rev", of: context))
            let located = try JobLogLocator.locate(opened, commit: commit, job: try WebPath.segment("job", of: context))
            guard let path = located.path, let data = FileManager.default.contents(atPath: path) else {
                throw HTTPError(.notFound, message: "no log of job '\(located.job.name)' at \(commit.short) on this coordinator")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(data: data)))
        }
    }

    /// The repository the path names, 404 for a name not served.
    private func open(_ context: BasicRequestContext) throws -> OpenedRepository {
        try OpenedRepository.open(try WebPath.segment("repo", of: context), in: repositories)
    }

    static func json(_ document: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(document)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
