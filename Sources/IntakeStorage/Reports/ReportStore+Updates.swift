import Foundation
import IntakeCore
import Logging
import PostgresNIO

extension ReportStore {
    /// The reporter's comment: a public timeline event and a `case.comment` job for the council,
    /// committed together.
    public func addComment(reportID: UUID, comment: String) async throws -> TimelineEvent {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                WITH event AS (
                    INSERT INTO report_events (report_id, kind, public_note, actor)
                    VALUES (\(reportID), 'comment', \(comment), 'reporter')
                    RETURNING id, report_id, created_at
                ), job AS (
                    INSERT INTO dispatch_jobs (report_id, event_id, event_type)
                    SELECT report_id, id, 'case.comment' FROM event
                ), touched AS (
                    UPDATE reports SET updated_at = now() WHERE id = \(reportID)
                )
                SELECT id, created_at FROM event
                """, logger: logger)
            for try await (id, createdAt) in rows.decode((Int64, Date).self) {
                _ = try await connection.query("SELECT pg_notify('dispatch_jobs', '')", logger: logger)
                return TimelineEvent(
                    id: id, kind: .comment, status: nil, publicNote: comment, internalNote: nil, actor: .reporter,
                    createdAt: createdAt)
            }
            throw APIError.internalError
        }
    }

    /// Erases a report's contact details now (right to erasure). The public record stays.
    /// False when there is no such report.
    public func eraseContact(reportID: UUID) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                UPDATE reports SET reporter_name = NULL, reporter_email = NULL, reporter_phone = NULL,
                    contact_erased_at = COALESCE(contact_erased_at, now())
                WHERE id = \(reportID)
                RETURNING id
                """, logger: logger)
            for try await _ in rows.decode(UUID.self) { return true }
            return false
        }
    }

    /// Erases contact details of reports closed more than `days` days ago, a batch at a time;
    /// returns how many were erased.
    public func eraseExpiredContacts(afterDays days: Int, batch: Int = 1000) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH due AS (
                    SELECT id FROM reports
                    WHERE closed_at < now() - make_interval(days => \(days)::int) AND contact_erased_at IS NULL
                    LIMIT \(batch)
                    FOR UPDATE SKIP LOCKED
                ), erased AS (
                    UPDATE reports r SET reporter_name = NULL, reporter_email = NULL, reporter_phone = NULL,
                        contact_erased_at = now()
                    FROM due WHERE r.id = due.id
                    RETURNING 1
                )
                SELECT count(*)::int FROM erased
                """, logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
