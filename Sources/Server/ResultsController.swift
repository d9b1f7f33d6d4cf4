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
            let queue = try? BuildQueue.open(stateFolder: StateFolder(gitCommonDirectory: opened.repository.commonDirectory).path)
            let plans = (try? queue?.plans()) ?? []
            let latest = (try? queue?.latestBuilds()) ?? [:]
            return try Self.json(PlansDocument(plans: PlanStatus.entries(plans, latest: latest, index: opened.index)))
        }
        router.get("/api/v1/repos/:repo/commits/:rev") { request, context in
            try people.checkReadable(request)
            let opened = try open(context)
            let commit = try Self.resolve(context.parameters.get("rev") ?? "", in: opened.repository)
            let queue = try? BuildQueue.open(stateFolder: StateFolder(gitCommonDirectory: opened.repository.commonDirectory).path)
            let status = try CommitStatus(commit: commit, repository: opened.repository, index: opened.index, queue: queue)
            return try Self.json(status.document(gitCommonDirectory: opened.repository.commonDirectory))
        }
        router.get("/api/v1/repos/:repo/log/:branch") { request, context in
            try people.checkReadable(request)
            let opened = try open(context)
            let branch = context.parameters.get("branch") ?? ""
            let tip = try Self.resolve(branch, in: opened.repository)
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
            let opened = try OpenedRepository.open(try JobLogLocator.segment("repo", of: context), in: repositories)
            let commit = try opened.resolve(try JobLogLocator.segment("rev", of: context))
            let located = try JobLogLocator.locate(opened, commit: commit, job: try JobLogLocator.segment("job", of: context))
            guard let path = located.path, let data = FileManager.default.contents(atPath: path) else {
                throw HTTPError(.notFound, message: "no log of job '\(located.job.name)' at \(commit.short) on this coordinator")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(data: data)))
        }
    }

    struct Opened {
        let repository: Repository
        let index: ResultIndex
    }

    /// The repository the path names and its index, caught up; 404 for a name not served.
    private func open(_ context: BasicRequestContext) throws -> Opened {
        let name = context.parameters.get("repo") ?? ""
        guard let path = repositories.path(of: name) else {
            throw HTTPError(.notFound, message: "no repository named '\(name)' is served here")
        }
        do {
            let repository = try Repository.open(path)
            let index = try ResultIndex.open(stateFolder: StateFolder(gitCommonDirectory: repository.commonDirectory).path,
                                             repository: repository)
            return Opened(repository: repository, index: index)
        } catch {
            throw HTTPError(.internalServerError, message: "cannot open the repository '\(name)'")
        }
    }

    private static func resolve(_ revision: String, in repository: Repository) throws -> ObjectID {
        do {
            return try repository.resolveCommit(revision)
        } catch {
            throw HTTPError(.notFound, message: "no commit '\(revision)' in this repository")
        }
    }

    static func json(_ document: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(document)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
