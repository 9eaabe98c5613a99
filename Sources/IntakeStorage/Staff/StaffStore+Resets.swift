import Foundation
import IntakeCore
import PostgresNIO

/// Console password resets: a row per request, its email queued on the council's Notify lane in
/// the same transaction, and the new password written with the reset used in another.
extension StaffStore {
    /// What asking for a reset did (the console answers the same to all, so that asking cannot
    /// tell anyone which addresses have accounts).
    public enum ResetRequest: Sendable, Equatable {
        /// A reset and its email are queued: the email's message id.
        case queued(messageID: UUID)
        case noAccount
        /// The account's council has no Notify email with the reset template.
        case notifyUnavailable
        /// The account had its share of reset emails in the last hour.
        case tooMany
    }

    public func requestReset(email: String, lifetimeSeconds: Int, maxPerHour: Int) async throws -> ResetRequest {
        let logger = self.logger
        return try await database.withTransaction { connection in
            // The account locked first, in a statement of its own: parallel requests for it wait
            // here, and each then counts (in a later statement, with a newer snapshot) the resets
            // those before it made.
            let locked = try await connection.query(
                "SELECT s.id FROM staff_accounts s WHERE lower(s.email) = lower(\(email)) FOR UPDATE",
                logger: logger
            )
            guard let lockedID = try await locked.decode(UUID.self).first(where: { _ in true }) else { return .noAccount }
            let accounts = try await connection.query(
                """
                SELECT s.id, s.council_id, s.email,
                    EXISTS (SELECT 1 FROM council_notify_settings n WHERE n.council_id = s.council_id
                            AND n.templates ? 'staff_password_reset' AND 'email' = ANY (n.channels)) AS sends,
                    (SELECT count(*)::int FROM staff_password_resets r
                     WHERE r.staff_id = s.id AND r.created_at > now() - interval '1 hour') AS recent
                FROM staff_accounts s WHERE s.id = \(lockedID)
                """,
                logger: logger
            )
            let found = try await accounts.decode((UUID, UUID, String, Bool, Int).self).first(where: { _ in true })
            guard let (staffID, councilID, address, sends, recent) = found else { return .noAccount }
            guard sends else { return .notifyUnavailable }
            guard recent < maxPerHour else { return .tooMany }
            let queued = try await connection.query(
                """
                WITH reset AS (
                    INSERT INTO staff_password_resets (staff_id, expires_at)
                    VALUES (\(staffID), now() + make_interval(secs => \(lifetimeSeconds)))
                    RETURNING id
                ), message AS (
                    INSERT INTO notifications (council_id, audience, channel, message, address, staff_reset_id)
                    SELECT \(councilID), 'staff', 'email', 'staff_password_reset', \(address), reset.id FROM reset
                    RETURNING id, staff_reset_id
                ), job AS (
                    INSERT INTO dispatch_jobs (notification_id, event_type, destination_id, group_key)
                    SELECT message.id, 'notify.staff_password_reset', notification_destination(\(councilID)), message.staff_reset_id
                    FROM message
                    RETURNING notification_id
                )
                SELECT notification_id FROM job
                """,
                logger: logger
            )
            guard let messageID = try await queued.decode(UUID.self).first(where: { _ in true }) else { throw NoRowReturned() }
            return .queued(messageID: messageID)
        }
    }

    /// A reset that can still be used (unused, unexpired, the account's newest), with its account.
    public func usableReset(id: UUID) async throws -> StaffAccount? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM staff_password_resets r
                JOIN staff_accounts s ON s.id = r.staff_id JOIN councils c ON c.id = s.council_id
                WHERE r.id = \(id) AND \(unescaped: Self.usable)
                """,
                logger: logger
            )
            return try await rows.first(Row.self)?.stored.account
        }
    }

    /// Unused, unexpired, and no newer reset for the account (asking again ends older links).
    static let usable = """
        r.used_at IS NULL AND r.expires_at > now()
        AND NOT EXISTS (SELECT 1 FROM staff_password_resets n WHERE n.staff_id = r.staff_id AND n.created_at > r.created_at)
        """

    /// Uses the reset and sets the new password in one transaction: every reset of the account
    /// is spent, its failures and lock-out are forgotten (it proved it holds the address), and
    /// its sessions end. nil when the reset is no longer usable.
    public func completeReset(id: UUID, passwordHash: String) async throws -> StaffAccount? {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let used = try await connection.query(
                """
                UPDATE staff_password_resets r SET used_at = now()
                WHERE r.id = \(id) AND \(unescaped: Self.usable)
                RETURNING r.staff_id
                """,
                logger: logger
            )
            guard let staffID = try await used.decode(UUID.self).first(where: { _ in true }) else { return nil }
            _ = try await connection.query(
                """
                UPDATE staff_accounts SET password_hash = \(passwordHash), failed_logins = 0, last_failed_at = NULL,
                    locked_until = NULL, updated_at = now()
                WHERE id = \(staffID)
                """,
                logger: logger
            )
            _ = try await connection.query(
                "UPDATE staff_password_resets SET used_at = now() WHERE staff_id = \(staffID) AND used_at IS NULL",
                logger: logger
            )
            _ = try await connection.query("DELETE FROM staff_sessions WHERE staff_id = \(staffID)", logger: logger)
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM staff_accounts s JOIN councils c ON c.id = s.council_id WHERE s.id = \(staffID)",
                logger: logger
            )
            return try await rows.first(Row.self)?.stored.account
        }
    }

    /// Resets a day past their expiry, a batch at a time (housekeeping); their log rows stay.
    public func pruneResets(batch: Int = 5000) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM staff_password_resets WHERE id IN (
                        SELECT id FROM staff_password_resets WHERE expires_at < now() - interval '1 day' LIMIT \(batch))
                    RETURNING 1
                )
                SELECT count(*)::int FROM gone
                """,
                logger: logger
            )
            return try await rows.decode(Int.self).first(where: { _ in true }) ?? 0
        }
    }
}
