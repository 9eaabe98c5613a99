import Foundation
import IntakeCore
import Logging
import PostgresNIO

extension ReportStore {
    /// The reporter's update: a public `comment` event and/or a `photo_added` event per photo,
    /// each with its dispatch job (`case.comment`, `case.updated`), committed together. Photos
    /// must have been uploaded with the same client key as the report and not attached yet.
    /// `beforeCommit` runs last inside the transaction (idempotency records the answer there).
    public func addUpdate(
        reportID: UUID,
        comment: String?,
        photoIDs: [UUID],
        beforeCommit: @escaping @Sendable ([TimelineEvent], PostgresConnection) async throws -> Void = { _, _ in }
    ) async throws -> [TimelineEvent] {
        let logger = self.logger
        let events = try await database.withTransaction { connection -> [(event: TimelineEvent, destination: UUID?)] in
            var clientKeyID: UUID?
            let owner = try await connection.query(
                "SELECT client_key_id FROM reports WHERE id = \(reportID) FOR UPDATE",
                logger: logger
            )
            for try await id in owner.decode(UUID?.self) { clientKeyID = id }
            let position = try await Self.photoCount(reportID: reportID, on: connection, logger: logger)
            try await MediaStore.attach(
                photoIDs,
                to: reportID,
                clientKeyID: clientKeyID,
                startingAt: position,
                on: connection,
                logger: logger
            )

            var events: [(event: TimelineEvent, destination: UUID?)] = []
            var pending: [(kind: String, note: String?, photo: UUID?, job: String)] = []
            if let comment { pending.append(("comment", comment, nil, "case.comment")) }
            for photo in photoIDs { pending.append(("photo_added", nil, photo, "case.updated")) }
            for item in pending {
                let rows = try await connection.query(
                    """
                    WITH event AS (
                        INSERT INTO report_events (report_id, kind, public_note, actor, media_id)
                        VALUES (\(reportID), \(item.kind), \(item.note), 'reporter', \(item.photo))
                        RETURNING id, report_id, created_at
                    ), job AS (
                        INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id)
                        SELECT event.report_id, event.id, \(item.job), dispatch_destination(r.council_id, r.category_id)
                        FROM event JOIN reports r ON r.id = event.report_id
                        RETURNING destination_id
                    )
                    SELECT id, created_at, (SELECT destination_id FROM job) AS destination_id FROM event
                    """,
                    logger: logger
                )
                for row in try await rows.collect(AddedEventRow.self) {
                    let event = TimelineEvent(
                        id: row.id,
                        kind: item.photo == nil ? .comment : .photoAdded,
                        status: nil,
                        publicNote: item.note,
                        internalNote: nil,
                        actor: .reporter,
                        createdAt: row.createdAt,
                        photoID: item.photo
                    )
                    events.append((event, row.destinationID))
                }
            }
            _ = try await connection.query("UPDATE reports SET updated_at = now() WHERE id = \(reportID)", logger: logger)
            try await beforeCommit(events.map(\.event), connection)
            return events
        }
        // Committed: wake the destination's receivers.
        if let first = events.first { database.announceJob(for: first.destination) }
        return events.map(\.event)
    }

    /// An event `addUpdate` inserted, with its job's destination.
    struct AddedEventRow: RowDecodable {
        var id: Int64
        var createdAt: Date
        var destinationID: UUID?

        init(columns: RowColumns) throws {
            id = try columns("id")
            createdAt = try columns("created_at")
            destinationID = try columns("destination_id")
        }
    }

    static func photoCount(reportID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT count(*)::int FROM media WHERE report_id = \(reportID)",
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Erases a report's contact details now (right to erasure), with the idempotency record of
    /// its creation (whose sealed answer held them) and the addresses in its messages to the
    /// reporter (messages not yet sent are then skipped). The public record stays. False when there is
    /// no such report.
    public func eraseContact(reportID: UUID) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH answers AS (DELETE FROM idempotency_keys WHERE report_id = \(reportID)),
                messages AS (
                    UPDATE notifications SET address = NULL, updated_at = now()
                    WHERE report_id = \(reportID) AND audience = 'reporter' AND address IS NOT NULL
                )
                UPDATE reports SET reporter_name = NULL, reporter_email = NULL, reporter_phone = NULL,
                    reporter_account_id = NULL, reporter_device_id = NULL,
                    contact_erased_at = COALESCE(contact_erased_at, now())
                WHERE id = \(reportID)
                RETURNING id
                """,
                logger: logger
            )
            for try await _ in rows.decode(UUID.self) { return true }
            return false
        }
    }

    /// Erases contact details of reports closed more than `days` days ago, a batch at a time;
    /// returns how many were erased. Each report's update touches every index of the table (the
    /// erasure time is in one of them), about a millisecond a report at national size, so a
    /// batch is small enough that its row locks last a fraction of a second.
    public static let erasureBatch = 250

    public func eraseExpiredContacts(afterDays days: Int, batch: Int = erasureBatch) async throws -> Int {
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
                        reporter_account_id = NULL, reporter_device_id = NULL,
                        contact_erased_at = now()
                    FROM due WHERE r.id = due.id
                    RETURNING r.id
                ), answers AS (
                    DELETE FROM idempotency_keys k USING erased WHERE k.report_id = erased.id
                ), messages AS (
                    UPDATE notifications n SET address = NULL, updated_at = now()
                    FROM erased WHERE n.report_id = erased.id AND n.audience = 'reporter' AND n.address IS NOT NULL
                )
                SELECT count(*)::int FROM erased
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
