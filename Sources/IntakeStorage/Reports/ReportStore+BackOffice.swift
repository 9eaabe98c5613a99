import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// How councils answer: acknowledging a case with their own reference, and moving its status
/// with notes for the public and for themselves. Both land on the case's timeline.
extension ReportStore {
    /// Records the council's reference for a case. Repeating it with the same reference changes
    /// nothing. nil when the council has no such case.
    public func acknowledge(reportID: UUID, councilID: UUID?, externalReference: String) async throws -> Report? {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT external_reference,
                    EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = r.id AND e.kind = 'acknowledged')
                FROM reports r
                WHERE r.id = \(reportID) AND (\(councilID)::uuid IS NULL OR r.council_id = \(councilID))
                FOR UPDATE
                """,
                logger: logger
            )
            var current: (String?, Bool)?
            for try await row in rows.decode((String?, Bool).self) { current = row }
            guard let current else { return nil }
            if current.0 != externalReference || !current.1 {
                _ = try await connection.query(
                    """
                    WITH updated AS (
                        UPDATE reports SET external_reference = \(externalReference), updated_at = now()
                        WHERE id = \(reportID) RETURNING id
                    )
                    INSERT INTO report_events (report_id, kind, internal_note, actor)
                    SELECT id, 'acknowledged', \("Council reference: \(externalReference)"), 'council' FROM updated
                    """,
                    logger: logger
                )
            }
            return try await Self.load(reportID, on: connection, logger: logger)
        }
    }

    public struct StatusChange: Sendable {
        public var status: ReportStatus
        public var publicNote: String?
        public var internalNote: String?
        public var expectedAt: Date?

        public init(status: ReportStatus, publicNote: String?, internalNote: String?, expectedAt: Date?) {
            self.status = status
            self.publicNote = publicNote
            self.internalNote = internalNote
            self.expectedAt = expectedAt
        }
    }

    /// Moves a case to `change.status` (or, at the same status, records the notes), enforcing
    /// `ReportStatus.canMove`. Returns the case and the event written (nil when there was
    /// nothing to record: same status, no notes, same expected date). nil when not found.
    public func changeStatus(
        reportID: UUID,
        councilID: UUID?,
        _ change: StatusChange
    ) async throws
        -> (Report, TimelineEvent?)?
    {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT status, expected_at FROM reports
                WHERE id = \(reportID) AND (\(councilID)::uuid IS NULL OR council_id = \(councilID))
                FOR UPDATE
                """,
                logger: logger
            )
            var found: (String, Date?)?
            for try await row in rows.decode((String, Date?).self) { found = row }
            guard let found else { return nil }
            let current = ReportStatus(rawValue: found.0) ?? .open
            let moving = change.status != current
            if moving && !current.canMove(to: change.status) {
                throw TransitionRefused(from: current, to: change.status)
            }
            let expectedChanged = change.expectedAt.map { $0 != found.1 } ?? false
            guard moving || change.publicNote != nil || change.internalNote != nil || expectedChanged else {
                return (try await Self.load(reportID, on: connection, logger: logger), nil)
            }
            let closing = !change.status.isOpen
            let eventRows = try await connection.query(
                """
                WITH updated AS (
                    UPDATE reports SET status = \(change.status.rawValue), updated_at = now(),
                        expected_at = COALESCE(\(change.expectedAt), expected_at),
                        closed_at = CASE WHEN \(closing) THEN COALESCE(closed_at, now()) END
                    WHERE id = \(reportID) RETURNING id
                )
                INSERT INTO report_events (report_id, kind, status, public_note, internal_note, actor)
                SELECT id, 'status_changed', \(change.status.rawValue), \(change.publicNote), \(change.internalNote), 'council'
                FROM updated
                RETURNING id, created_at
                """,
                logger: logger
            )
            var event: TimelineEvent?
            for try await (id, createdAt) in eventRows.decode((Int64, Date).self) {
                event = TimelineEvent(
                    id: id,
                    kind: .statusChanged,
                    status: change.status,
                    publicNote: change.publicNote,
                    internalNote: change.internalNote,
                    actor: .council,
                    createdAt: createdAt
                )
            }
            return (try await Self.load(reportID, on: connection, logger: logger), event)
        }
    }

    static func load(_ reportID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Report {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM reports r
            JOIN councils c ON c.id = r.council_id
            JOIN categories cat ON cat.id = r.category_id
            WHERE r.id = \(reportID)
            """,
            logger: logger
        )
        guard let report = try await decode(rows).first else { throw NoRowReturned() }
        return report
    }
}

/// A status change the case's current status does not allow (`ReportStatus.canMove`).
public struct TransitionRefused: Error, Equatable {
    public var from: ReportStatus
    public var to: ReportStatus
}
