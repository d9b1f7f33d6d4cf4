/// The documents of the agent API (`/api/v1/agent/…`), shared by the coordinator that answers
/// and the agent that asks.
public enum AgentAPI {
    /// How long a claim or a lease check is held open by the coordinator, at most.
    public static let longestWait: Double = 25
    /// A claimed job's lease (its agent renews it every third of it).
    public static let lease: Double = 60
    /// Agents heard from within this long count as connected: they ask at least every
    /// `longestWait` seconds while idle, and renew their leases while busy.
    public static let connectedWithin: Double = 60
    /// The largest log chunk the coordinator takes.
    public static let largestLogChunk = 1 << 20

    public struct ClaimRequest: Codable, Sendable {
        public var name: String
        public var labels: [String]
        public var slots: Int
        /// Seconds the coordinator may hold the request while nothing fits (≤ longestWait).
        public var wait: Double?

        public init(name: String, labels: [String], slots: Int, wait: Double? = nil) {
            self.name = name
            self.labels = labels
            self.slots = slots
            self.wait = wait
        }
    }

    /// What the coordinator queues for a job and an agent gets when it claims it.
    public struct JobOrder: Codable, Sendable {
        /// The served repository's name, which its git URL (`/git/NAME`) holds.
        public var repository: String
        public var assignment: JobAssignment

        public init(repository: String, assignment: JobAssignment) {
            self.repository = repository
            self.assignment = assignment
        }
    }

    public struct ClaimedJob: Codable, Sendable {
        public var id: Int64
        public var attempt: Int
        public var order: JobOrder
        /// The lease's length, and how often the agent must renew it, in seconds.
        public var lease: Double
        public var renewEvery: Double

        public init(id: Int64, attempt: Int, order: JobOrder, lease: Double) {
            self.id = id
            self.attempt = attempt
            self.order = order
            self.lease = lease
            self.renewEvery = lease / 3
        }
    }

    public struct LeaseAnswer: Codable, Sendable {
        public var cancel: Bool

        public init(cancel: Bool) {
            self.cancel = cancel
        }
    }

    public struct LogAnswer: Codable, Sendable {
        /// Bytes of the log the coordinator holds: where the next chunk starts.
        public var size: Int64

        public init(size: Int64) {
            self.size = size
        }
    }

    public struct ResultReport: Codable, Sendable {
        public var attempt: Int
        public var result: JobResult
        /// Bytes of log the agent wrote in all: the coordinator refuses a result before it holds them.
        public var logSize: Int64

        public init(attempt: Int, result: JobResult, logSize: Int64) {
            self.attempt = attempt
            self.result = result
            self.logSize = logSize
        }
    }

    /// Every refusal's body.
    public struct Refusal: Codable, Sendable {
        public var error: String
        /// For a log chunk that would leave a gap: where the next one must start.
        public var expected: Int64?

        public init(error: String, expected: Int64? = nil) {
            self.error = error
            self.expected = expected
        }
    }
}
