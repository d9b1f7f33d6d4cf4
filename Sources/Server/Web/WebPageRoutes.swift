import Foundation
import Hummingbird
import Store

/// The read-only pages and their JSON twins under `/api/v1/`.
extension WebController {
    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/repos/:repo") { request, context in
            try page(request, "repository") {
                RepositoryPage(try open(context), query: Self.query(request, "q"), page: Int(Self.query(request, "page")) ?? 1)
            }
        }
        router.get("/api/v1/repos/:repo") { request, context in
            try readable(request)
            return try ResultsController.json(RepositoryPage(try open(context), query: Self.query(request, "q"),
                                                             page: Int(Self.query(request, "page")) ?? 1, drawings: false))
        }
        router.get("/repos/:repo/branches/**") { request, context in
            try page(request, "branch") { try BranchPage(try open(context), branch: Self.catchAll(context)) }
        }
        router.get("/api/v1/repos/:repo/branches/**") { request, context in
            try readable(request)
            return try ResultsController.json(try BranchPage(try open(context), branch: Self.catchAll(context)))
        }
        router.get("/repos/:repo/commits/:rev") { request, context in
            try page(request, "commit") {
                let opened = try open(context)
                return try CommitPage(opened, commit: try opened.resolve(try WebPath.segment("rev", of: context)))
            }
        }
        router.get("/repos/:repo/commits/:rev/tests") { request, context in
            try page(request, "tests") {
                let opened = try open(context)
                return CommitTestsPage(opened, commit: try opened.resolve(try WebPath.segment("rev", of: context)))
            }
        }
        router.get("/api/v1/repos/:repo/commits/:rev/tests") { request, context in
            try readable(request)
            let opened = try open(context)
            return try ResultsController.json(CommitTestsPage(opened, commit: try opened.resolve(try WebPath.segment("rev", of: context))))
        }
        router.get("/repos/:repo/tests") { request, context in
            try page(request, "test-history") {
                TestHistoryPage(try open(context), suite: Self.query(request, "suite"), name: Self.query(request, "name"))
            }
        }
        router.get("/api/v1/repos/:repo/tests") { request, context in
            try readable(request)
            return try ResultsController.json(TestHistoryPage(try open(context), suite: Self.query(request, "suite"),
                                                              name: Self.query(request, "name")))
        }
    }

    func open(_ context: BasicRequestContext) throws -> OpenedRepository {
        try OpenedRepository.open(try WebPath.segment("repo", of: context), in: repositories)
    }

    /// The rest of the path a `**` route matched, decoded segment by segment (a branch).
    static func catchAll(_ context: BasicRequestContext) -> String {
        context.parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "/")
    }

    static func query(_ request: Request, _ name: String) -> String {
        String((WebPath.query(name, of: request) ?? "").prefix(1_000))
    }
}
