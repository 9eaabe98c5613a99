import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// The message log (`notifications`) and what the worker needs to send each message. Messages
/// are queued by the database itself, in the transaction of the event they tell of
/// (`notifications_for_event`, migration 0016); this store reads them for sending, records
/// Notify's callbacks, keeps alert subscriptions, and does the log's housekeeping.
public struct NotificationStore: Sendable {
    let database: Database
    let logger: Logger
    /// Where report links point (`PUBLIC_BASE_URL`).
    let baseURL: String

    public init(database: Database, logger: Logger, baseURL: String) {
        self.database = database
        self.logger = logger
        self.baseURL = baseURL
    }

    static let webhookSecretPurpose = "alert_subscriptions.webhook_secret"

    /// A message ready to send, or the reason it must not be sent any more.
    public struct Outgoing: Sendable {
        public var message: NotificationMessage
        /// Standard Webhooks secret of the subscription (webhook messages).
        public var webhookSecret: String?
        public var skipReason: String?
    }

    /// The messages of a batch of jobs, by message id; a message that has gone has none.
    public func outgoing(ids: [UUID]) async throws -> [UUID: Outgoing] {
        guard !ids.isEmpty else { return [:] }
        let logger = self.logger
        let secrets = database.secrets
        let baseURL = self.baseURL
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT n.id, n.audience, n.channel, n.message, n.address, n.items::text AS items,
                    c.id AS council_id, c.slug AS council_slug, c.name AS council_name, c.tier AS council_tier,
                    n.report_id, e.id AS event_id, e.kind AS event_kind, e.status AS event_status, e.public_note, e.created_at AS event_at,
                    s.id AS subscription_id, s.kind AS subscription_kind, s.state AS subscription_state, s.frequency, s.email AS subscription_email,
                    s.webhook_url, s.webhook_secret, s.created_at AS subscription_created_at, s.confirmed_at,
                    ST_Y(s.centre::geometry) AS centre_lat, ST_X(s.centre::geometry) AS centre_lon, s.radius_metres,
                    sr.reference AS subscription_report_reference, s.report_id AS subscription_report_id,
                    sc.id AS target_council_id, sc.slug AS target_council_slug, sc.name AS target_council_name, sc.tier AS target_council_tier,
                    scat.code AS target_category_code, scat.name AS target_category_name,
                    pr.id AS staff_reset_id, pr.expires_at AS staff_reset_expires_at, sa.name AS staff_name,
                    CASE
                        WHEN n.channel = 'webhook' THEN NULL
                        WHEN ns.council_id IS NULL THEN 'the council has no GOV.UK Notify settings'
                        WHEN NOT (ns.templates ? n.message) THEN 'the council has no template for ' || n.message
                        WHEN NOT (n.channel = ANY (ns.channels)) THEN 'the council does not send ' || n.channel
                    END AS settings_gap,
                    CASE
                        WHEN n.audience = 'reporter' AND r.contact_erased_at IS NOT NULL THEN 'the reporter''s contact details were erased'
                        WHEN n.audience = 'reporter' AND NOT r.notify THEN 'the reporter unsubscribed'
                        WHEN n.audience = 'subscriber' AND s.id IS NULL THEN 'the subscription has ended'
                        WHEN n.message = 'alert_confirm' AND s.state <> 'pending' THEN 'the subscription is no longer waiting for confirmation'
                        WHEN n.message <> 'alert_confirm' AND n.audience = 'subscriber' AND s.state <> 'active' THEN 'the subscription is not active'
                        WHEN n.audience = 'staff' AND (pr.id IS NULL OR pr.used_at IS NOT NULL OR pr.expires_at <= now()
                                OR EXISTS (SELECT 1 FROM staff_password_resets nr WHERE nr.staff_id = pr.staff_id AND nr.created_at > pr.created_at))
                            THEN 'the password reset has been used, asked for again or has expired'
                        WHEN n.channel <> 'webhook' AND n.address IS NULL THEN 'the address was erased'
                        WHEN n.channel <> 'webhook' AND notification_suppressed(n.council_id, n.channel, n.address)
                            THEN 'the address is suppressed (STOP or a permanent failure)'
                    END AS recipient_gap
                FROM notifications n
                JOIN councils c ON c.id = n.council_id
                LEFT JOIN reports r ON r.id = n.report_id
                LEFT JOIN report_events e ON e.id = n.event_id
                LEFT JOIN alert_subscriptions s ON s.id = n.subscription_id
                LEFT JOIN reports sr ON sr.id = s.report_id
                LEFT JOIN councils sc ON sc.id = s.council_id
                LEFT JOIN categories scat ON scat.id = s.category_id
                LEFT JOIN council_notify_settings ns ON ns.council_id = n.council_id
                LEFT JOIN staff_password_resets pr ON pr.id = n.staff_reset_id
                LEFT JOIN staff_accounts sa ON sa.id = pr.staff_id
                WHERE n.id = ANY (\(ids))
                """,
                logger: logger
            )
            let found = try await rows.collect(OutgoingRow.self)
            // Reports named: the message's own, and a digest's.
            var reportIDs = Set(found.compactMap(\.reportID))
            var digests: [UUID: [UUID]] = [:]
            for row in found {
                guard let items = row.items, let data = items.data(using: .utf8),
                    let list = try? JSONDecoder().decode([DigestItem].self, from: data)
                else { continue }
                var seen = Set<UUID>()
                digests[row.id] = list.map(\.reportID).filter { seen.insert($0).inserted }
                reportIDs.formUnion(list.map(\.reportID))
            }
            let reports = try await Self.summaries(Array(reportIDs), baseURL: baseURL, on: connection, logger: logger)
            var result: [UUID: Outgoing] = [:]
            for row in found {
                guard let message = try row.message(reports: reports, digest: digests[row.id] ?? []) else { continue }
                var secret: String?
                if let sealed = row.webhookSecret { secret = try? secrets.open(sealed, purpose: Self.webhookSecretPurpose) }
                var skip = row.recipientGap ?? row.settingsGap
                if message.channel == .webhook && secret == nil && skip == nil { skip = "the subscription's signing secret cannot be opened" }
                if message.message == .alertDigest && message.digest.isEmpty && skip == nil { skip = "nothing left to tell" }
                result[row.id] = Outgoing(message: message, webhookSecret: secret, skipReason: skip)
            }
            return result
        }
    }

    struct DigestItem: Decodable {
        var reportID: UUID
        enum CodingKeys: String, CodingKey { case reportID = "report_id" }
    }

    static func summaries(
        _ ids: [UUID],
        baseURL: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [UUID: NotificationMessage.ReportSummary] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT r.id, r.reference, cat.name AS category, r.status, r.address
            FROM reports r JOIN categories cat ON cat.id = r.category_id
            WHERE r.id = ANY (\(ids))
            """,
            logger: logger
        )
        var summaries: [UUID: NotificationMessage.ReportSummary] = [:]
        for row in try await rows.collect(SummaryRow.self) {
            summaries[row.id] = NotificationMessage.ReportSummary(
                id: row.id,
                reference: row.reference,
                category: row.category,
                status: ReportStatus(rawValue: row.status) ?? .open,
                address: row.address,
                url: "\(baseURL)/v1/reports/\(row.id.uuidString.lowercased())"
            )
        }
        return summaries
    }

    struct SummaryRow: RowDecodable {
        var id: UUID
        var reference: String
        var category: String
        var status: String
        var address: String?

        init(columns: RowColumns) throws {
            id = try columns("id")
            reference = try columns("reference")
            category = try columns("category")
            status = try columns("status")
            address = try columns("address")
        }
    }
}
