import Foundation
import GitKit
import Pipeline
import Runner
import Store
import Worker

/// `/repos/NAME/commits/REV`: the pipeline as stages and jobs with their `needs` edges, each
/// job with what became of it, and the rerun and cancel actions. Its JSON is the `status --json`
/// document (`/api/v1/repos/NAME/commits/REV`).
struct CommitPage: ChromedPage {
    struct JobRow {
        let name: String
        let stage: String
        let href: String
        let label: StatusLabel
        let duration: String
        let node: String?
        let reason: String?
        let reusedFrom: String?
        let reusedHref: String?
        let matrix: String?
        let repos: String?
        let tests: String?
        let testsFailed: Bool
        let artifacts: [ArtifactLink]
        let hasArtifacts: Bool
        let allowFailure: Bool
        let rerunnable: Bool
    }

    struct ArtifactLink {
        let name: String
        let size: String
        let href: String
    }

    struct ConfigError {
        let text: String
    }

    let repository: String
    let commit: String
    let short: String
    let subject: String
    let body: String?
    let author: String
    let when: String
    let label: StatusLabel
    let branch: String?
    let branchHref: String?
    let reason: String?
    let errors: [ConfigError]
    let jobs: [JobRow]
    let hasJobs: Bool
    let graph: String
    let building: Bool
    let testsHref: String
    let repositoryHref: String
    let href: String
    let jsonHref: String
    let rerunAction: String
    let cancelAction: String
    /// The document the JSON API serves for this commit.
    let document: RunDocument
    var chrome: WebChrome?

    init(_ opened: OpenedRepository, commit: ObjectID, now: Date = Date()) throws {
        let status = try CommitStatus(commit: commit, repository: opened.repository, index: opened.index, queue: opened.queue)
        let document = status.document(gitCommonDirectory: opened.repository.commonDirectory)
        let info = try? opened.repository.commit(commit)
        let name = opened.name
        self.document = document
        repository = name
        self.commit = commit.hex
        short = commit.short
        subject = info?.summary ?? ""
        let message = info?.message.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let rest = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        body = rest.flatMap { $0.isEmpty ? nil : $0 }
        author = info?.authorName ?? ""
        when = info.map { RelativeTime.describe(since: Double($0.time), now: now) } ?? ""
        label = StatusLabel(document.status)
        branch = document.branch
        branchHref = document.branch.map { WebPath.branch(name, $0) }
        reason = document.reason
        errors = (document.errors ?? []).map { ConfigError(text: "\($0.file):\($0.line):\($0.column): \($0.message)") }
        building = status.isBuilding && ["queued", "running"].contains(document.status)
        jobs = document.jobs.map { job in
            let artifacts = (job.artifacts ?? []).map {
                ArtifactLink(name: $0.name, size: ByteCountText.format($0.size), href: WebPath.artifact(name, commit.hex, job: job.name, name: $0.name))
            }
            let tests = job.tests.map { counts in
                ["\(counts.passed) passed", counts.failed > 0 ? "\(counts.failed) failed" : nil, counts.errors > 0 ? "\(counts.errors) errors" : nil,
                 counts.skipped > 0 ? "\(counts.skipped) skipped" : nil].compactMap { $0 }.joined(separator: ", ")
            }
            let matrix = job.matrix.isEmpty ? nil : job.matrix.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let repos = job.repos.flatMap { $0.isEmpty ? nil : $0.sorted { $0.key < $1.key }.map { "\($0.key) @ \($0.value.prefix(10))" }.joined(separator: ", ") }
            return JobRow(name: job.name, stage: job.stage, href: WebPath.job(name, commit.hex, job.name), label: StatusLabel(job.status),
                          duration: job.status == "queued" || job.status == "skipped" ? "" : DurationText.format(milliseconds: job.durationMs),
                          node: job.node, reason: job.reason, reusedFrom: job.reusedFrom.map { String($0.prefix(10)) },
                          reusedHref: job.reusedFrom.map { WebPath.commit(name, $0) }, matrix: matrix, repos: repos, tests: tests,
                          testsFailed: (job.tests?.failed ?? 0) + (job.tests?.errors ?? 0) > 0,
                          artifacts: artifacts, hasArtifacts: !artifacts.isEmpty, allowFailure: job.allowFailure,
                          rerunnable: !["queued", "running"].contains(job.status))
        }
        hasJobs = !jobs.isEmpty
        let plan = Self.plan(at: commit, in: opened.repository)
        graph = PipelineGraph.svg(stages: Self.stages(of: document, plan: plan),
                                          nodes: Self.nodes(of: document, plan: plan, repository: name, commit: commit))
        testsHref = WebPath.tests(name, commit.hex)
        repositoryHref = WebPath.repository(name)
        href = WebPath.commit(name, commit.hex)
        jsonHref = "/api/v1" + href
        rerunAction = href + "/rerun"
        cancelAction = href + "/cancel"
    }

    /// The planned pipeline at the commit, for its stages and `needs`; nil when its
    /// `.gitci.yml` cannot be planned here (then jobs are drawn in their recorded stages).
    static func plan(at commit: ObjectID, in repository: Repository) -> Plan? {
        guard let blob = try? repository.blob(at: ".gitci.yml", in: commit),
              let config = try? PipelineConfig.parse(blob.bytes) else { return nil }
        return try? Plan(config)
    }

    static func stages(of document: RunDocument, plan: Plan?) -> [String] {
        var stages = plan?.stages ?? []
        for job in document.jobs where !job.stage.isEmpty && !stages.contains(job.stage) { stages.append(job.stage) }
        return stages
    }

    static func nodes(of document: RunDocument, plan: Plan?, repository name: String, commit: ObjectID) -> [PipelineGraph.Node] {
        document.jobs.map { job in
            let planned = plan?.job(named: job.name)
            let caption: String
            if let reused = job.reusedFrom {
                caption = "reused from \(reused.prefix(7))"
            } else if job.status == "skipped", let reason = job.reason {
                caption = reason
            } else if job.status == "queued" {
                caption = job.reason ?? "queued"
            } else {
                caption = DurationText.format(milliseconds: job.durationMs)
            }
            return PipelineGraph.Node(name: job.name, stage: job.stage.isEmpty ? (planned?.stage ?? "") : job.stage, status: job.status,
                                    needs: planned?.needs ?? [], caption: caption, href: WebPath.job(name, commit.hex, job.name))
        }
    }
}

enum ByteCountText {
    static func format(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return value < 10 ? "\(String(format: "%.1f", value)) \(units[unit])" : "\(Int(value)) \(units[unit])"
    }
}
