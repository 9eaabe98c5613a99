import Foundation

/// One entry of the audit log: a change asked for with an admin or back-office key, or made
/// with `intake keys`. `changes` is JSON text with every secret already redacted.
public struct AuditEvent: Sendable, Equatable {
    public struct Actor: Sendable, Equatable {
        public var keyID: UUID?
        /// `ci_…`, or `cli` for the command line.
        public var keyPrefix: String
        /// `admin`, `backoffice` or `operator`.
        public var role: String
        public var councilSlug: String?

        public init(keyID: UUID?, keyPrefix: String, role: String, councilSlug: String? = nil) {
            self.keyID = keyID
            self.keyPrefix = keyPrefix
            self.role = role
            self.councilSlug = councilSlug
        }

        /// An operator at the command line (`intake keys`).
        public static func commandLine() -> Actor {
            Actor(keyID: nil, keyPrefix: "cli", role: "operator")
        }
    }

    public var id: Int64 = 0
    public var at = Date()
    public var completedAt: Date?
    public var requestID: String
    public var actor: Actor
    public var councilID: UUID?
    public var councilSlug: String?
    public var action: String
    public var method: String
    public var route: String
    public var target: [String: String]
    public var changes: String
    public var status: Int?

    public init(
        requestID: String,
        actor: Actor,
        councilID: UUID?,
        councilSlug: String?,
        action: String,
        method: String,
        route: String,
        target: [String: String],
        changes: String
    ) {
        self.requestID = requestID
        self.actor = actor
        self.councilID = councilID
        self.councilSlug = councilSlug
        self.action = action
        self.method = method
        self.route = route
        self.target = target
        self.changes = changes
    }

    /// What `GET /v1/audit` may ask for.
    public struct Filter: Sendable, Equatable {
        public var councilSlug: String?
        public var actorPrefix: String?
        public var action: String?
        public var from: Date?
        public var to: Date?

        public init(councilSlug: String? = nil, actorPrefix: String? = nil, action: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.councilSlug = councilSlug
            self.actorPrefix = actorPrefix
            self.action = action
            self.from = from
            self.to = to
        }
    }
}
