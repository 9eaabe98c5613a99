import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Daily digests and the message log's retention, run by the worker's housekeeping in bounded
/// batches.
extension NotificationStore {
    /// Queues a digest for each daily subscription whose day has passed since its last one (or
    /// its confirmation) and that has gathered something, with what it gathered. Returns how
    /// many digests it queued.
    public func queueDigests(batch: Int = 500) async throws -> Int {
        let logger = self.logger
        let queued = try await database.withTransaction { connection -> Int in
            let rows = try await connection.query(
                """
                WITH due AS (
                    SELECT s.id, s.sender_council_id, s.email, s.webhook_url FROM alert_subscriptions s
                    WHERE s.state = 'active' AND s.frequency = 'daily'
                      AND COALESCE(s.last_digest_at, s.confirmed_at, s.created_at) <= now() - interval '1 day'
                      AND EXISTS (SELECT 1 FROM alert_digest_items i WHERE i.subscription_id = s.id)
                    ORDER BY COALESCE(s.last_digest_at, s.confirmed_at, s.created_at)
                    LIMIT \(batch)
                    -- NO KEY: intake's foreign-key checks on the subscription must not wait for this.
                    FOR NO KEY UPDATE OF s SKIP LOCKED
                ), taken AS (
                    DELETE FROM alert_digest_items i USING due WHERE i.subscription_id = due.id
                    RETURNING i.subscription_id, i.report_id, i.event_id
                ), grouped AS (
                    SELECT subscription_id,
                        jsonb_agg(jsonb_build_object('report_id', report_id, 'event_id', event_id) ORDER BY event_id) AS items
                    FROM taken GROUP BY subscription_id
                ), stamped AS (
                    UPDATE alert_subscriptions s SET last_digest_at = now() FROM due WHERE s.id = due.id
                )
                SELECT queue_notification(due.sender_council_id, NULL, NULL, due.id, 'subscriber',
                    CASE WHEN due.webhook_url IS NULL THEN 'email' ELSE 'webhook' END, 'alert_digest', due.email, g.items)
                FROM due JOIN grouped g ON g.subscription_id = due.id
                """,
                logger: logger
            )
            var count = 0
            for try await _ in rows.decode(UUID.self) { count += 1 }
            return count
        }
        if queued > 0 { database.announceJob(for: nil) }
        return queued
    }

    /// The log keeps no address longer than `addressDays` after its message; unsubscribed
    /// subscriptions (with their addresses and messages) go `addressDays` after they ended,
    /// unconfirmed ones after `unconfirmedDays`; messages themselves after `logDays`. Returns
    /// rows changed.
    public func applyRetention(addressDays: Int = 30, unconfirmedDays: Int = 7, logDays: Int = 90, batch: Int = 5000) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH addresses AS (
                    UPDATE notifications SET address = NULL, updated_at = now()
                    WHERE id IN (SELECT n.id FROM notifications n
                                 WHERE n.address IS NOT NULL AND n.created_at < now() - make_interval(days => \(addressDays)::int)
                                   AND NOT EXISTS (SELECT 1 FROM dispatch_jobs j
                                                   WHERE j.notification_id = n.id AND j.state IN ('pending', 'running'))
                                 LIMIT \(batch))
                    RETURNING 1
                ), ended AS (
                    DELETE FROM alert_subscriptions WHERE id IN (
                        SELECT id FROM alert_subscriptions
                        WHERE (state = 'unsubscribed' AND unsubscribed_at < now() - make_interval(days => \(addressDays)::int))
                           OR (state = 'pending' AND created_at < now() - make_interval(days => \(unconfirmedDays)::int))
                        LIMIT \(batch))
                    RETURNING 1
                ), old AS (
                    DELETE FROM notifications WHERE id IN (
                        SELECT n.id FROM notifications n
                        WHERE n.created_at < now() - make_interval(days => \(logDays)::int)
                          AND NOT EXISTS (SELECT 1 FROM dispatch_jobs j WHERE j.notification_id = n.id AND j.state IN ('pending', 'running'))
                        LIMIT \(batch))
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM addresses)::int + (SELECT count(*) FROM ended)::int + (SELECT count(*) FROM old)::int
                """,
                logger: logger
            )
            return try await rows.decode(Int.self).first(where: { _ in true }) ?? 0
        }
    }
}
