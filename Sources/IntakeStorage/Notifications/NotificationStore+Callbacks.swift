import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// What GOV.UK Notify tells us back: delivery receipts and received texts.
extension NotificationStore {
    public enum ReceiptResult: Sendable, Equatable {
        /// The message's state is now the receipt's; `suppressed` when a permanent failure
        /// stopped further messages to the address.
        case recorded(suppressed: Bool)
        /// No message of this council has that reference.
        case unknownMessage
    }

    /// Records a delivery receipt on its message. A permanent failure also stops the council's
    /// messages to that address (the suppression keeps a salted hash, not the address).
    public func record(_ receipt: NotifyCallback.Receipt, councilID: UUID) async throws -> ReceiptResult {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH updated AS (
                    UPDATE notifications SET state = \(receipt.status.rawValue), updated_at = now(),
                        provider_id = COALESCE(provider_id, \(receipt.notifyID)),
                        state_reason = CASE WHEN \(receipt.status.rawValue) = 'delivered' THEN NULL
                                            ELSE 'GOV.UK Notify: ' || \(receipt.status.rawValue) END
                    WHERE id = \(receipt.messageID) AND council_id = \(councilID)
                    RETURNING id, channel, address
                ), suppressed AS (
                    INSERT INTO notification_suppressions (council_id, channel, address_hash, reason)
                    SELECT \(councilID), channel, notification_address_hash(channel, address), 'permanent-failure'
                    FROM updated
                    WHERE \(receipt.status.rawValue) = 'permanent-failure' AND channel IN ('email', 'sms') AND address IS NOT NULL
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM suppressed)::int AS suppressed
                """,
                logger: logger
            )
            for try await (updated, suppressed) in rows.decode((Int, Int).self) {
                return updated == 0 ? .unknownMessage : .recorded(suppressed: suppressed > 0)
            }
            return .unknownMessage
        }
    }

    /// STOP from a phone number: the council sends it no more texts.
    public func stopTexts(from number: String, councilID: UUID) async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                INSERT INTO notification_suppressions (council_id, channel, address_hash, reason)
                VALUES (\(councilID), 'sms', notification_address_hash('sms', \(number)), 'stop')
                ON CONFLICT (council_id, channel, address_hash) DO UPDATE SET reason = 'stop'
                """,
                logger: logger
            )
        }
    }

    /// The message log's states for a report or subscription, oldest first (operators, tests).
    public func states(reportID: UUID? = nil, subscriptionID: UUID? = nil) async throws -> [(id: UUID, message: String, state: String)] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, message, state FROM notifications
                WHERE (\(reportID)::uuid IS NOT NULL AND report_id = \(reportID))
                   OR (\(subscriptionID)::uuid IS NOT NULL AND subscription_id = \(subscriptionID))
                ORDER BY created_at, id
                """,
                logger: logger
            )
            var states: [(id: UUID, message: String, state: String)] = []
            for try await (id, message, state) in rows.decode((UUID, String, String).self) { states.append((id, message, state)) }
            return states
        }
    }
}
