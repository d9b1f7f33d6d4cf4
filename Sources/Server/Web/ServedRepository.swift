import Foundation
import GitKit
import Hummingbird
import Runner
import Store

/// One served repository opened for a request: its git repository, result index (caught up
/// with the notes) and build queue, found by the name in the request's path.
struct OpenedRepository {
    let name: String
    let repository: Repository
    let index: ResultIndex
    /// nil when the repository has no queue yet (nothing was ever pushed to it with gitci).
    let queue: BuildQueue?

    var stateFolder: StateFolder { StateFolder(gitCommonDirectory: repository.commonDirectory) }

    /// 404 for a name this coordinator does not serve.
    static func open(_ name: String, in repositories: ServedRepositories) throws -> OpenedRepository {
        guard let path = repositories.path(of: name) else {
            throw HTTPError(.notFound, message: "no repository named '\(name)' is served here")
        }
        do {
            let repository = try Repository.open(path)
            let state = StateFolder(gitCommonDirectory: repository.commonDirectory)
            let index = try ResultIndex.open(stateFolder: state.path, repository: repository)
            return OpenedRepository(name: name, repository: repository, index: index, queue: try? BuildQueue.open(stateFolder: state.path))
        } catch {
            throw HTTPError(.internalServerError, message: "cannot open the repository '\(name)'")
        }
    }

    /// The commit `revision` names (any revision git understands); 404 otherwise.
    func resolve(_ revision: String) throws -> ObjectID {
        do {
            return try repository.resolveCommit(revision)
        } catch {
            throw HTTPError(.notFound, message: "no commit '\(revision)' in the repository '\(name)'")
        }
    }
}
