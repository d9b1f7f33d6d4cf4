import Foundation
import GitKit
import HTTPTypes
import Hummingbird
import Runner
import Store
import Worker

/// What the UI does beyond showing: rerun and cancel (POST, always with a person's token),
/// artifact downloads and the status badge.
extension WebController {
    func addActionRoutes(to router: Router<BasicRequestContext>) {
        router.post("/repos/:repo/commits/:rev/rerun") { request, context in
            try await action(request, context) { opened, commit, form, user in
                let job = form["job"].flatMap { $0.isEmpty ? nil : $0 }
                if let job {
                    let known = try CommitPage.plan(at: commit, in: opened.repository)?.job(named: job) != nil
                        || opened.index.results(of: commit).jobs.contains { $0.job == job }
                    guard known else { throw HTTPError(.badRequest, message: "commit \(commit.short) has no job named '\(job)'") }
                }
                let queue = try opened.queue ?? BuildQueue.open(stateFolder: opened.stateFolder.path)
                let latest = try? queue.latestBuild(of: commit.hex)
                // A rerun is asked for to run again: nothing is reused (BuildRequest.noCache).
                let id = try queue.update {
                    try $0.enqueue(commit: commit.hex, branch: latest?.branch, ref: latest?.ref, jobs: job.map { [$0] } ?? [],
                                   reason: "rerun by \(user.name) from the web UI", request: BuildRequest(noCache: true))
                }
                return ["queued": "\(id)"]
            }
        }
        router.post("/repos/:repo/commits/:rev/cancel") { request, context in
            try await action(request, context) { opened, commit, _, _ in
                guard let queue = opened.queue else { return ["queued": "0", "running": "0"] }
                let (queued, running) = try queue.cancel(commit: commit.hex)
                return ["queued": "\(queued)", "running": "\(running)"]
            }
        }
        router.get("/repos/:repo/commits/:rev/jobs/:job/artifacts/:name") { request, context in
            try readable(request)
            return try await artifact(context)
        }
        router.get("/badge/:repo/**") { request, context in
            try readable(request)
            return try badge(context)
        }
    }

    /// A POST action on a commit: done for a signed-in person (401 without a token — a browser
    /// is sent to sign in — 403 for a forged form), then back to the commit's page, or its
    /// outcome as JSON for a client with a bearer token.
    private func action(_ request: Request, _ context: BasicRequestContext,
                        _ body: (OpenedRepository, ObjectID, [String: String], WebAuthentication.User) throws -> [String: String]) async throws -> Response {
        let form = try await FormBody.decode(request)
        let opened = try open(context)
        let commit = try opened.resolve(try WebPath.segment("rev", of: context))
        let page = WebPath.commit(opened.name, commit.hex)
        guard let user = authentication.user(of: request) else {
            if request.headers[.authorization] == nil {
                return Response(status: .seeOther, headers: [.location: "/login?next=\(WebPath.encode(page))"])
            }
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"gitci\""], message: "a valid token is needed")
        }
        try authentication.checkPost(request, by: user, form: form)
        let outcome = try body(opened, commit, form, user)
        wakeWorkers()
        if user.fromCookie { return Response(status: .seeOther, headers: [.location: page]) }
        return try ResultsController.json(outcome)
    }

    private func artifact(_ context: BasicRequestContext) async throws -> Response {
        let opened = try open(context)
        let commit = try opened.resolve(try WebPath.segment("rev", of: context))
        let (job, name) = (try WebPath.segment("job", of: context), try WebPath.segment("name", of: context))
        let document = try CommitStatus(commit: commit, repository: opened.repository, index: opened.index, queue: nil)
            .document(gitCommonDirectory: opened.repository.commonDirectory)
        guard let artifact = document.jobs.first(where: { $0.name == job })?.artifacts?.first(where: { $0.name == name }),
              let path = opened.stateFolder.artifacts.objectPath(artifact.sha256), FileManager.default.fileExists(atPath: path) else {
            throw HTTPError(.notFound, message: "no artifact '\(name)' of job '\(job)' at \(commit.short) is kept here")
        }
        let body = try await FileIO().loadFile(path: path, context: context)
        let file = (name as NSString).lastPathComponent
        let plain = String(file.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        return Response(status: .ok, headers: [
            .contentType: "application/octet-stream",
            .contentDisposition: "attachment; filename=\"\(plain)\"; filename*=UTF-8''\(WebPath.encode(file))",
            .contentLength: "\(artifact.size)",
        ], body: body)
    }

    private func badge(_ context: BasicRequestContext) throws -> Response {
        var branch = Self.catchAll(context)
        guard branch.hasSuffix(".svg") else { throw HTTPError(.notFound, message: "a badge's address ends in .svg") }
        branch.removeLast(4)
        let opened = try open(context)
        let status: String
        if let tip = opened.repository.branchTip(branch) {
            status = (try? CommitStatus(commit: tip, repository: opened.repository, index: opened.index, queue: opened.queue))?.status
                ?? CommitResults.none
        } else {
            status = "unknown"
        }
        return Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(string: Badge.svg(message: status, status: status))))
    }
}
