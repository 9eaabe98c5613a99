import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for councils' back-office destinations and the figures operators watch.
public struct DestinationStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public enum WriteError: Error, Equatable {
        case nameTaken
        /// Categories name it, or jobs still wait for it.
        case inUse(String)
    }

    /// Creates a destination; a webhook gets a new signing secret. Making it the default takes
    /// that role from another. Jobs that were waiting for a destination are routed at once.
    public func create(_ definition: DestinationDefinition, councilID: UUID) async throws -> Destination {
        let logger = self.logger
        let secrets = database.secrets
        let secret = try database.secrets.sealIfPresent(
            definition.kind == .webhook ? WebhookSignature.generateSecret() : nil,
            purpose: Self.secretPurpose
        )
        let open311Key = try database.secrets.sealIfPresent(definition.open311APIKey, purpose: Self.open311KeyPurpose)
        do {
            return try await database.withTransaction { connection in
                if definition.isDefault { try await Self.clearDefault(councilID: councilID, on: connection, logger: logger) }
                if definition.receivesPayments {
                    try await Self.clearRevenues(councilID: councilID, except: definition.name, on: connection, logger: logger)
                }
                let rows = try await connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO destinations (council_id, name, kind, is_default, url, secret, open311_api_key,
                            open311_jurisdiction, timeout_seconds, max_attempts, visibility_timeout_seconds, receives_payments)
                        VALUES (\(councilID), \(definition.name), \(definition.kind.rawValue), \(definition.isDefault),
                            \(definition.url), \(secret), \(open311Key), \(definition.open311Jurisdiction),
                            \(definition.timeoutSeconds), \(definition.maxAttempts), \(definition.visibilityTimeoutSeconds),
                            \(definition.receivesPayments))
                        RETURNING *
                    )
                    SELECT \(unescaped: Self.columns) FROM inserted d JOIN councils c ON c.id = d.council_id
                    """,
                    logger: logger
                )
                let created = try await Self.decode(rows, secrets: secrets).first!
                try await Self.routeWaitingJobs(councilID: councilID, on: connection, logger: logger)
                return created
            }
        } catch  where DatabaseErrors.sqlState(error) == "23505" {
            throw WriteError.nameTaken
        }
    }

    public func update(_ definition: DestinationDefinition, councilID: UUID) async throws -> Destination? {
        let logger = self.logger
        let open311Key = try database.secrets.sealIfPresent(definition.open311APIKey, purpose: Self.open311KeyPurpose)
        let secrets = database.secrets
        return try await database.withTransaction { connection in
            if definition.isDefault { try await Self.clearDefault(councilID: councilID, except: definition.name, on: connection, logger: logger) }
            if definition.receivesPayments {
                try await Self.clearRevenues(councilID: councilID, except: definition.name, on: connection, logger: logger)
            }
            let rows = try await connection.query(
                """
                WITH updated AS (
                    UPDATE destinations SET is_default = \(definition.isDefault), url = \(definition.url),
                        open311_api_key = \(open311Key), open311_jurisdiction = \(definition.open311Jurisdiction),
                        timeout_seconds = \(definition.timeoutSeconds), max_attempts = \(definition.maxAttempts),
                        visibility_timeout_seconds = \(definition.visibilityTimeoutSeconds),
                        receives_payments = \(definition.receivesPayments), updated_at = now()
                    WHERE council_id = \(councilID) AND name = \(definition.name)
                    RETURNING *
                )
                SELECT \(unescaped: Self.columns) FROM updated d JOIN councils c ON c.id = d.council_id
                """,
                logger: logger
            )
            let updated = try await Self.decode(rows, secrets: secrets).first
            if updated != nil { try await Self.routeWaitingJobs(councilID: councilID, on: connection, logger: logger) }
            return updated
        }
    }

    /// Enables (clearing a 410's disablement) or disables a destination by hand.
    public func setEnabled(_ enabled: Bool, name: String, councilID: UUID, reason: String? = nil) async throws -> Destination? {
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH updated AS (
                    UPDATE destinations SET
                        disabled_at = CASE WHEN \(enabled) THEN NULL ELSE COALESCE(disabled_at, now()) END,
                        disabled_reason = CASE WHEN \(enabled) THEN NULL ELSE COALESCE(\(reason), disabled_reason) END,
                        updated_at = now()
                    WHERE council_id = \(councilID) AND name = \(name)
                    RETURNING *
                )
                SELECT \(unescaped: Self.columns) FROM updated d JOIN councils c ON c.id = d.council_id
                """,
                logger: logger
            )
            let destination = try await Self.decode(rows, secrets: secrets).first
            if enabled, let destination {
                _ = try await connection.query(
                    "SELECT pg_notify('dispatch_jobs', \(destination.id.uuidString.lowercased()))",
                    logger: logger
                )
            }
            return destination
        }
    }

    /// A new signing secret; the old one keeps signing for `overlap` so receivers can switch.
    public func rotateSecret(name: String, councilID: UUID, overlap: Duration) async throws -> Destination? {
        let logger = self.logger
        let secrets = database.secrets
        let secret = try database.secrets.seal(WebhookSignature.generateSecret(), purpose: Self.secretPurpose)
        let seconds = Double(overlap.components.seconds)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH updated AS (
                    UPDATE destinations SET previous_secret = secret, secret = \(secret),
                        previous_secret_expires_at = now() + make_interval(secs => \(seconds)), updated_at = now()
                    WHERE council_id = \(councilID) AND name = \(name) AND kind = 'webhook'
                    RETURNING *
                )
                SELECT \(unescaped: Self.columns) FROM updated d JOIN councils c ON c.id = d.council_id
                """,
                logger: logger
            )
            return try await Self.decode(rows, secrets: secrets).first
        }
    }

    /// Deletes a destination no category names and no job waits for.
    public func delete(name: String, councilID: UUID) async throws -> Bool {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT
                    (SELECT count(*)::int FROM categories cat WHERE cat.council_id = d.council_id AND cat.destination = d.name
                        AND cat.retired_at IS NULL),
                    (SELECT count(*)::int FROM dispatch_jobs j WHERE j.destination_id = d.id AND j.state IN ('pending', 'running'))
                FROM destinations d WHERE d.council_id = \(councilID) AND d.name = \(name)
                FOR UPDATE OF d
                """,
                logger: logger
            )
            var usage: (Int, Int)?
            for try await row in rows.decode((Int, Int).self) { usage = row }
            guard let usage else { return false }
            if usage.0 > 0 { throw WriteError.inUse("\(usage.0) categories send their cases here") }
            if usage.1 > 0 { throw WriteError.inUse("\(usage.1) messages are still waiting in it") }
            _ = try await connection.query(
                "DELETE FROM destinations WHERE council_id = \(councilID) AND name = \(name)",
                logger: logger
            )
            return true
        }
    }

    public func find(name: String, councilID: UUID) async throws -> Destination? {
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM destinations d JOIN councils c ON c.id = d.council_id
                WHERE d.council_id = \(councilID) AND d.name = \(name)
                """,
                logger: logger
            )
            return try await Self.decode(rows, secrets: secrets).first
        }
    }

    public func list(councilID: UUID, kind: Destination.Kind? = nil) async throws -> [Destination] {
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM destinations d JOIN councils c ON c.id = d.council_id
                WHERE d.council_id = \(councilID) AND (\(kind?.rawValue)::text IS NULL OR d.kind = \(kind?.rawValue))
                ORDER BY d.name
                """,
                logger: logger
            )
            return try await Self.decode(rows, secrets: secrets)
        }
    }

    /// Depth, in-flight, oldest age and dead count per destination (one council, or all).
    public func stats(councilID: UUID? = nil, kind: Destination.Kind? = nil) async throws -> [QueueStats] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT d.id, c.slug AS council_slug, d.name, d.kind,
                    count(j.id) FILTER (WHERE j.state = 'pending' OR (j.state = 'running' AND j.run_at <= now()))::int AS depth,
                    count(j.id) FILTER (WHERE j.state = 'running' AND j.run_at > now())::int AS in_flight,
                    COALESCE(EXTRACT(EPOCH FROM now() - min(j.created_at)), 0)::float8 AS oldest_age_seconds,
                    (SELECT count(*)::int FROM dispatch_jobs x WHERE x.destination_id = d.id AND x.state = 'dead') AS dead,
                    d.disabled_at IS NOT NULL AS disabled
                FROM destinations d
                JOIN councils c ON c.id = d.council_id
                LEFT JOIN dispatch_jobs j ON j.destination_id = d.id AND j.state IN ('pending', 'running')
                WHERE (\(councilID)::uuid IS NULL OR d.council_id = \(councilID))
                  AND (\(kind?.rawValue)::text IS NULL OR d.kind = \(kind?.rawValue))
                GROUP BY d.id, c.slug
                ORDER BY c.slug, d.name
                """,
                logger: logger
            )
            var stats: [QueueStats] = []
            for row in try await rows.collect(StatsRow.self) {
                stats.append(
                    QueueStats(
                        destinationID: row.id,
                        councilSlug: row.councilSlug,
                        name: row.name,
                        kind: Destination.Kind(rawValue: row.kind) ?? .pull,
                        depth: row.depth,
                        inFlight: row.inFlight,
                        oldestAgeSeconds: (row.oldestAgeSeconds * 1000).rounded() / 1000,
                        dead: row.dead,
                        disabled: row.disabled
                    )
                )
            }
            return stats
        }
    }

    struct StatsRow: RowDecodable {
        var id: UUID
        var councilSlug: String
        var name: String
        var kind: String
        var depth: Int
        var inFlight: Int
        var oldestAgeSeconds: Double
        var dead: Int
        var disabled: Bool

        init(columns: RowColumns) throws {
            id = try columns("id")
            councilSlug = try columns("council_slug")
            name = try columns("name")
            kind = try columns("kind")
            depth = try columns("depth")
            inFlight = try columns("in_flight")
            oldestAgeSeconds = try columns("oldest_age_seconds")
            dead = try columns("dead")
            disabled = try columns("disabled")
        }
    }

    /// Jobs whose council had no destination for them when they were written.
    public func unroutedCount() async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT count(*)::int FROM dispatch_jobs WHERE destination_id IS NULL AND state = 'pending'",
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// The most recent push attempts of a destination, newest first.
    public func attempts(destinationID: UUID, limit: Int) async throws -> [DeliveryAttempt] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT message_id, event_type, attempt, started_at, duration_ms, outcome, status_code, response_excerpt, error
                FROM dispatch_attempts WHERE destination_id = \(destinationID)
                ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var attempts: [DeliveryAttempt] = []
            for row in try await rows.collect(AttemptRow.self) {
                attempts.append(
                    DeliveryAttempt(
                        messageID: row.messageID,
                        eventType: row.eventType,
                        attempt: row.attempt,
                        startedAt: row.startedAt,
                        durationMilliseconds: row.durationMs,
                        outcome: DeliveryOutcome.Kind(rawValue: row.outcome) ?? .retry,
                        statusCode: row.statusCode,
                        responseExcerpt: row.responseExcerpt,
                        error: row.error
                    )
                )
            }
            return attempts
        }
    }

    struct AttemptRow: RowDecodable {
        var messageID: UUID
        var eventType: String
        var attempt: Int
        var startedAt: Date
        var durationMs: Int
        var outcome: String
        var statusCode: Int?
        var responseExcerpt: String?
        var error: String?

        init(columns: RowColumns) throws {
            messageID = try columns("message_id")
            eventType = try columns("event_type")
            attempt = try columns("attempt")
            startedAt = try columns("started_at")
            durationMs = try columns("duration_ms")
            outcome = try columns("outcome")
            statusCode = try columns("status_code")
            responseExcerpt = try columns("response_excerpt")
            error = try columns("error")
        }
    }

    // MARK: -

    static func clearDefault(
        councilID: UUID,
        except name: String? = nil,
        on connection: PostgresConnection,
        logger: Logger
    )
        async throws
    {
        _ = try await connection.query(
            """
            UPDATE destinations SET is_default = false, updated_at = now()
            WHERE council_id = \(councilID) AND is_default AND name IS DISTINCT FROM \(name)
            """,
            logger: logger
        )
    }

    /// One revenues destination per council: naming a new one takes the role from the old.
    static func clearRevenues(councilID: UUID, except name: String, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query(
            """
            UPDATE destinations SET receives_payments = false, updated_at = now()
            WHERE council_id = \(councilID) AND receives_payments AND name <> \(name)
            """,
            logger: logger
        )
    }

    /// Gives jobs written while their council had no destination for them somewhere to go.
    public static func routeWaitingJobs(councilID: UUID?, on connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query(
            """
            UPDATE dispatch_jobs j SET destination_id = dispatch_destination(r.council_id, r.category_id)
            FROM reports r
            WHERE j.destination_id IS NULL AND j.state = 'pending' AND r.id = j.report_id
              AND (\(councilID)::uuid IS NULL OR r.council_id = \(councilID))
              AND dispatch_destination(r.council_id, r.category_id) IS NOT NULL
            """,
            logger: logger
        )
        _ = try await connection.query(
            """
            UPDATE dispatch_jobs j SET destination_id = d.id
            FROM payment_intents p JOIN destinations d ON d.council_id = p.council_id AND d.receives_payments
            WHERE j.destination_id IS NULL AND j.state = 'pending' AND p.id = j.payment_intent_id
              AND (\(councilID)::uuid IS NULL OR p.council_id = \(councilID))
            """,
            logger: logger
        )
    }

    public func routeWaitingJobs() async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            try await Self.routeWaitingJobs(councilID: nil, on: connection, logger: logger)
        }
    }

    static let columns = """
        d.id, c.id AS council_id, c.slug AS council_slug, c.name AS council_name, c.tier AS council_tier, d.name, d.kind,
        d.is_default, d.url, d.secret, d.previous_secret, d.previous_secret_expires_at, d.open311_api_key, d.open311_jurisdiction,
        d.timeout_seconds, d.max_attempts, d.visibility_timeout_seconds, d.disabled_at, d.disabled_reason, d.created_at,
        d.updated_at, d.receives_payments
        """

    /// A row of `columns`.
    struct DestinationRow: RowDecodable {
        var id: UUID
        var councilID: UUID
        var councilSlug: String
        var councilName: String
        var councilTier: String
        var name: String
        var kind: String
        var isDefault: Bool
        var url: String?
        var secret: String?
        var previousSecret: String?
        var previousSecretExpiresAt: Date?
        var open311APIKey: String?
        var open311Jurisdiction: String?
        var timeoutSeconds: Int
        var maxAttempts: Int
        var visibilityTimeoutSeconds: Int
        var disabledAt: Date?
        var disabledReason: String?
        var createdAt: Date
        var updatedAt: Date
        var receivesPayments: Bool

        init(columns: RowColumns) throws {
            id = try columns("id")
            councilID = try columns("council_id")
            councilSlug = try columns("council_slug")
            councilName = try columns("council_name")
            councilTier = try columns("council_tier")
            name = try columns("name")
            kind = try columns("kind")
            isDefault = try columns("is_default")
            url = try columns("url")
            secret = try columns("secret")
            previousSecret = try columns("previous_secret")
            previousSecretExpiresAt = try columns("previous_secret_expires_at")
            open311APIKey = try columns("open311_api_key")
            open311Jurisdiction = try columns("open311_jurisdiction")
            timeoutSeconds = try columns("timeout_seconds")
            maxAttempts = try columns("max_attempts")
            visibilityTimeoutSeconds = try columns("visibility_timeout_seconds")
            disabledAt = try columns("disabled_at")
            disabledReason = try columns("disabled_reason")
            createdAt = try columns("created_at")
            updatedAt = try columns("updated_at")
            receivesPayments = try columns("receives_payments")
        }
    }

    /// Stored sealed (`SecretKeyring`); the previous signing secret is the current one moved
    /// aside, so it shares its purpose.
    static let secretPurpose = "destinations.secret"
    static let open311KeyPurpose = "destinations.open311_api_key"

    static func decode(_ rows: PostgresRowSequence, secrets: SecretKeyring) async throws -> [Destination] {
        var destinations: [Destination] = []
        for row in try await rows.collect(DestinationRow.self) {
            var destination =
                Destination(
                    id: row.id,
                    council: CouncilRef(
                        id: row.councilID,
                        slug: row.councilSlug,
                        name: row.councilName,
                        tier: Council.Tier(rawValue: row.councilTier) ?? .unitary
                    ),
                    name: row.name,
                    kind: Destination.Kind(rawValue: row.kind) ?? .pull,
                    isDefault: row.isDefault,
                    url: row.url,
                    secret: try secrets.openIfPresent(row.secret, purpose: secretPurpose),
                    previousSecret: try secrets.openIfPresent(row.previousSecret, purpose: secretPurpose),
                    previousSecretExpiresAt: row.previousSecretExpiresAt,
                    open311APIKey: try secrets.openIfPresent(row.open311APIKey, purpose: open311KeyPurpose),
                    open311Jurisdiction: row.open311Jurisdiction,
                    timeoutSeconds: row.timeoutSeconds,
                    maxAttempts: row.maxAttempts,
                    visibilityTimeoutSeconds: row.visibilityTimeoutSeconds,
                    disabledAt: row.disabledAt,
                    disabledReason: row.disabledReason,
                    createdAt: row.createdAt,
                    updatedAt: row.updatedAt
                )
            destination.receivesPayments = row.receivesPayments
            destinations.append(destination)
        }
        return destinations
    }
}

extension DestinationStore {
    /// Destinations by id, for a batch of jobs.
    public func find(ids: [UUID]) async throws -> [UUID: Destination] {
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM destinations d JOIN councils c ON c.id = d.council_id
                WHERE d.id = ANY(\(ids)::uuid[])
                """,
                logger: logger
            )
            var found: [UUID: Destination] = [:]
            for destination in try await Self.decode(rows, secrets: secrets) { found[destination.id] = destination }
            return found
        }
    }
}
