import Foundation
import GitKit
import Runner
import Store
import Worker

/// `/`: every served repository with its default branch's status and what is under way, and the
/// build agents with their labels and current jobs.
struct HomePage: Encodable {
    struct RepositoryRow: Encodable {
        let name: String
        let href: String
        let defaultBranch: String?
        let branchHref: String?
        let status: String
        let commit: String?
        let short: String?
        let commitHref: String?
        let subject: String?
        let activePlans: Int
        let running: Int
        let queued: Int
        let problem: String?
        let label: StatusLabel
        enum CodingKeys: String, CodingKey {
            case name, defaultBranch = "default_branch", status, commit, subject, activePlans = "active_plans", running, queued, problem
        }
    }

    struct BuildRow: Encodable {
        let repository: String
        let branch: String?
        let commit: String
        let short: String
        let href: String
        let state: String
        let since: String
        let label: StatusLabel
        enum CodingKeys: String, CodingKey { case repository, branch, commit, state, since }
    }

    struct AgentRow: Encodable {
        let name: String
        let labels: [String]
        let jobs: [String]
        let slots: Int
        let lastSeen: String
        let connected: Bool
        let labelText: String
        let jobText: String
        enum CodingKeys: String, CodingKey { case name, labels, jobs, slots, lastSeen = "last_seen", connected }
    }

    let repositories: [RepositoryRow]
    let builds: [BuildRow]
    let agents: [AgentRow]
    let hasBuilds: Bool
    let hasAgents: Bool
    var chrome: WebChrome?
    enum CodingKeys: String, CodingKey { case repositories, builds, agents }

    init(repositories served: ServedRepositories, coordinator: CoordinatorStore, now: Date = Date()) {
        var rows: [RepositoryRow] = []
        var builds: [BuildRow] = []
        for entry in served.entries {
            guard let opened = try? OpenedRepository.open(entry.name, in: served) else {
                rows.append(RepositoryRow(name: entry.name, href: WebPath.repository(entry.name), defaultBranch: nil, branchHref: nil,
                                          status: CommitResults.none, commit: nil, short: nil, commitHref: nil, subject: nil, activePlans: 0,
                                          running: 0, queued: 0, problem: "cannot be opened", label: StatusLabel(CommitResults.none)))
                continue
            }
            let active = (try? opened.queue?.activeBuilds()) ?? []
            let plans = (try? opened.queue?.plans()) ?? []
            var status = CommitResults.none
            var commit: CommitInfo?
            let head = opened.repository.defaultBranch
            if let head, let info = try? opened.repository.commit(head.tip) {
                commit = info
                status = (try? CommitStatus(commit: head.tip, repository: opened.repository, index: opened.index, queue: opened.queue))?.status
                    ?? CommitResults.none
            }
            rows.append(RepositoryRow(
                name: entry.name, href: WebPath.repository(entry.name), defaultBranch: head?.name,
                branchHref: head.map { WebPath.branch(entry.name, $0.name) }, status: status, commit: commit?.id.hex, short: commit?.id.short,
                commitHref: commit.map { WebPath.commit(entry.name, $0.id.hex) }, subject: commit?.summary,
                activePlans: plans.filter { $0.state == .active }.count,
                running: active.filter { $0.state == .running }.count, queued: active.filter { $0.state == .queued }.count, problem: nil,
                label: StatusLabel(status)))
            builds += active.map { build in
                BuildRow(repository: entry.name, branch: build.branch, commit: build.commit, short: String(build.commit.prefix(10)),
                         href: WebPath.commit(entry.name, build.commit), state: build.state.rawValue,
                         since: RelativeTime.describe(since: build.started ?? build.created, now: now), label: StatusLabel(build.state.rawValue))
            }
        }
        repositories = rows
        self.builds = builds
        hasBuilds = !builds.isEmpty
        let agents: [AgentRow] = ((try? coordinator.agents()) ?? []).map { agent in
            let jobs = agent.running.map { "\($0.repository): \($0.job)" }
            return AgentRow(name: agent.name, labels: agent.labels, jobs: jobs, slots: agent.slots,
                            lastSeen: RelativeTime.describe(since: agent.lastSeen.timeIntervalSince1970, now: now),
                            connected: now.timeIntervalSince(agent.lastSeen) < AgentAPI.connectedWithin,
                            labelText: agent.labels.isEmpty ? "no labels" : agent.labels.joined(separator: ", "),
                            jobText: jobs.isEmpty ? "idle" : jobs.joined(separator: ", "))
        }
        self.agents = agents
        hasAgents = !agents.isEmpty
    }
}
