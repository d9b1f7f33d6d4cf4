/// `log --json`: a branch's first-parent history with each commit's status; also the JSON API's
/// `/api/v1/repos/{repo}/log/{branch}`.
public struct LogDocument: Encodable, Sendable {
    public struct Entry: Encodable, Sendable {
        public var commit: String
        public var subject: String
        public var status: String

        public init(commit: String, subject: String, status: String) {
            self.commit = commit
            self.subject = subject
            self.status = status
        }
    }

    public var branch: String
    public var commits: [Entry]

    public init(branch: String, commits: [Entry]) {
        self.branch = branch
        self.commits = commits
    }
}

/// `plans --json`: the plan branches and their last result; also the JSON API's
/// `/api/v1/repos/{repo}/plans`.
public struct PlansDocument: Encodable, Sendable {
    public struct Last: Encodable, Sendable {
        public var commit: String
        public var status: String

        public init(commit: String, status: String) {
            self.commit = commit
            self.status = status
        }
    }

    public struct Entry: Encodable, Sendable {
        public var branch: String
        public var state: String
        public var last: Last?

        public init(branch: String, state: String, last: Last?) {
            self.branch = branch
            self.state = state
            self.last = last
        }
    }

    public var plans: [Entry]

    public init(plans: [Entry]) {
        self.plans = plans
    }
}
