import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Alert subscriptions: made pending with their confirmation message queued in the same
/// transaction, activated by the link, ended by unsubscribing.
extension NotificationStore {
    /// A subscription to write, its target already resolved to ids.
    public struct NewSubscription: Sendable {
        public var kind: AlertSubscription.Kind
        public var reportID: UUID?
        public var councilID: UUID?
        public var categoryCode: String?
        public var centre: LatLon?
        public var radiusMetres: Int?
        public var senderCouncilID: UUID
        public var email: String?
        public var webhookURL: String?
        public var webhookSecret: String?
        public var frequency: AlertSubscription.Frequency
        public var fingerprint: String
        public var clientKeyID: UUID?

        public init(
            kind: AlertSubscription.Kind,
            reportID: UUID?,
            councilID: UUID?,
            categoryCode: String?,
            centre: LatLon?,
            radiusMetres: Int?,
            senderCouncilID: UUID,
            email: String?,
            webhookURL: String?,
            webhookSecret: String?,
            frequency: AlertSubscription.Frequency,
            fingerprint: String,
            clientKeyID: UUID?
        ) {
            self.kind = kind
            self.reportID = reportID
            self.councilID = councilID
            self.categoryCode = categoryCode
            self.centre = centre
            self.radiusMetres = radiusMetres
            self.senderCouncilID = senderCouncilID
            self.email = email
            self.webhookURL = webhookURL
            self.webhookSecret = webhookSecret
            self.frequency = frequency
            self.fingerprint = fingerprint
            self.clientKeyID = clientKeyID
        }
    }

    /// Writes a pending subscription and queues its confirmation. The same alert asked again
    /// (same target and address) while pending or active is not written twice: a pending one
    /// gets its confirmation again, an active one nothing. An address gets at most three
    /// confirmations an hour. Returns the subscription, whether it
    /// is new, and whether a confirmation was queued.
    public func subscribe(_ new: NewSubscription) async throws -> (AlertSubscription, created: Bool, queued: Bool) {
        let logger = self.logger
        let sealed = try database.secrets.sealIfPresent(new.webhookSecret, purpose: Self.webhookSecretPurpose)
        let result = try await database.withTransaction { connection -> (UUID, Bool, Bool) in
            let inserted = try await connection.query(
                """
                INSERT INTO alert_subscriptions (kind, report_id, council_id, category_id, centre, radius_metres, sender_council_id,
                    email, webhook_url, webhook_secret, frequency, fingerprint, client_key_id)
                VALUES (\(new.kind.rawValue), \(new.reportID), \(new.councilID),
                    (SELECT id FROM categories WHERE council_id = \(new.councilID) AND code = \(new.categoryCode)),
                    CASE WHEN \(new.centre?.lon)::float8 IS NULL THEN NULL
                         ELSE ST_SetSRID(ST_MakePoint(\(new.centre?.lon)::float8, \(new.centre?.lat)::float8), 4326)::geography END,
                    \(new.radiusMetres), \(new.senderCouncilID), \(new.email), \(new.webhookURL), \(sealed), \(new.frequency.rawValue),
                    \(new.fingerprint), \(new.clientKeyID))
                ON CONFLICT (fingerprint) WHERE state IN ('pending', 'active') DO NOTHING
                RETURNING id
                """,
                logger: logger
            )
            var id = try await inserted.decode(UUID.self).first(where: { _ in true })
            let created = id != nil
            var state = "pending"
            if id == nil {
                let existing = try await connection.query(
                    "SELECT id, state FROM alert_subscriptions WHERE fingerprint = \(new.fingerprint) AND state IN ('pending', 'active')",
                    logger: logger
                )
                for try await (found, foundState) in existing.decode((UUID, String).self) { (id, state) = (found, foundState) }
            }
            guard let id else { throw NoRowReturned() }
            guard state == "pending" else { return (id, created, false) }
            // At most three confirmations an hour to one address, whatever they are for, so the
            // endpoint cannot be used to flood someone's inbox (the subscription still waits).
            let recent = try await connection.query(
                """
                SELECT count(*)::int FROM alert_subscriptions s JOIN notifications n ON n.subscription_id = s.id
                WHERE lower(COALESCE(s.email, s.webhook_url)) = lower(\(new.email ?? new.webhookURL ?? ""))
                  AND s.created_at > now() - interval '1 day'
                  AND n.message = 'alert_confirm' AND n.created_at > now() - interval '1 hour'
                """,
                logger: logger
            )
            if try await recent.decode(Int.self).first(where: { _ in true }) ?? 0 >= 3 { return (id, created, false) }
            // Its own statement: a volatile function's rows are not visible to the query that calls it.
            _ = try await connection.query(
                """
                SELECT queue_notification(\(new.senderCouncilID), \(new.reportID), NULL, \(id), 'subscriber',
                    \(new.email == nil ? "webhook" : "email"), 'alert_confirm', \(new.email))
                """,
                logger: logger
            )
            return (id, created, true)
        }
        // Committed: wake the workers (the notification lanes are push destinations only).
        if result.2 { database.announceJob(for: nil) }
        guard let subscription = try await subscription(id: result.0) else { throw NoRowReturned() }
        return (subscription, result.1, result.2)
    }

    /// Columns `SubscriptionColumns` reads, for `FROM alert_subscriptions s` with its joins.
    static let subscriptionSelect = """
        SELECT s.id AS subscription_id, s.kind AS subscription_kind, s.state AS subscription_state, s.frequency,
            s.email AS subscription_email, s.webhook_url, s.created_at AS subscription_created_at, s.confirmed_at,
            ST_Y(s.centre::geometry) AS centre_lat, ST_X(s.centre::geometry) AS centre_lon, s.radius_metres,
            sr.reference AS subscription_report_reference, s.report_id AS subscription_report_id,
            sc.id AS target_council_id, sc.slug AS target_council_slug, sc.name AS target_council_name, sc.tier AS target_council_tier,
            scat.code AS target_category_code, scat.name AS target_category_name
        FROM alert_subscriptions s
        LEFT JOIN reports sr ON sr.id = s.report_id
        LEFT JOIN councils sc ON sc.id = s.council_id
        LEFT JOIN categories scat ON scat.id = s.category_id
        """

    public func subscription(id: UUID) async throws -> AlertSubscription? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query("\(unescaped: Self.subscriptionSelect) WHERE s.id = \(id)", logger: logger)
            return try await rows.first(SubscriptionColumns.self)?.subscription
        }
    }

    /// Activates a pending subscription (opening the link again changes nothing). nil when
    /// there is no such subscription, or it has ended.
    public func confirm(subscriptionID: UUID) async throws -> AlertSubscription? {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query(
                "UPDATE alert_subscriptions SET state = 'active', confirmed_at = now() WHERE id = \(subscriptionID) AND state = 'pending'",
                logger: logger
            )
        }
        guard let found = try await subscription(id: subscriptionID), found.state == .active else { return nil }
        return found
    }

    /// Ends a subscription (again: no change) and drops what its digest had gathered. False
    /// when there is no such subscription.
    public func unsubscribe(subscriptionID: UUID) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH ended AS (
                    UPDATE alert_subscriptions SET state = 'unsubscribed', unsubscribed_at = COALESCE(unsubscribed_at, now())
                    WHERE id = \(subscriptionID) RETURNING id
                ), items AS (
                    DELETE FROM alert_digest_items i USING ended WHERE i.subscription_id = ended.id
                )
                SELECT count(*)::int FROM ended
                """,
                logger: logger
            )
            return try await rows.decode(Int.self).first(where: { _ in true }) == 1
        }
    }

    /// Erases a subscriber now (right to erasure): every alert subscription of the address, and
    /// with them their messages (the log's addresses). Suppressions stay: they hold no address,
    /// and a bounce or STOP must still be honoured. Returns how many subscriptions went.
    public func eraseSubscriber(email: String) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH erased AS (
                    DELETE FROM alert_subscriptions WHERE lower(COALESCE(email, webhook_url)) = lower(\(email)) AND email IS NOT NULL
                    RETURNING id
                )
                SELECT count(*)::int FROM erased
                """,
                logger: logger
            )
            return try await rows.decode(Int.self).first(where: { _ in true }) ?? 0
        }
    }

    /// Stops the reporter's messages about one report. False when there is no such report.
    public func unsubscribeReporter(reportID: UUID) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "UPDATE reports SET notify = false WHERE id = \(reportID) RETURNING id",
                logger: logger
            )
            return try await rows.decode(UUID.self).first(where: { _ in true }) != nil
        }
    }
}
