import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// The reads the Open311 facade needs: service requests by its filters, and the councils'
/// status updates in a time window.
public struct Open311Store: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct RequestFilter: Sendable {
        public var councilID: UUID?
        /// When given, overrides every other filter (as the spec says).
        public var ids: [UUID]?
        public var serviceCodes: [String]?
        public var since: Date?
        public var until: Date?
        /// true: open statuses, false: closed ones.
        public var open: Bool?
        public var limit: Int

        public init(
            councilID: UUID?,
            ids: [UUID]?,
            serviceCodes: [String]?,
            since: Date?,
            until: Date?,
            open: Bool?,
            limit: Int
        ) {
            self.councilID = councilID
            self.ids = ids
            self.serviceCodes = serviceCodes
            self.since = since
            self.until = until
            self.open = open
            self.limit = limit
        }
    }

    /// Reports with their latest public status note, newest first.
    public func requests(_ filter: RequestFilter) async throws -> [(Report, statusNote: String?)] {
        let logger = self.logger
        let statuses: [String]? = filter.open.map { open in
            ReportStatus.allCases.filter { $0.isOpen == open }.map(\.rawValue)
        }
        return try await database.withConnection { connection in
            // A list of ids overrides every other filter (as the spec says).
            let byID = filter.ids != nil
            let rows = try await connection.query(
                """
                SELECT \(unescaped: ReportStore.columns), \(unescaped: Self.statusNote) AS status_note FROM reports r
                JOIN councils c ON c.id = r.council_id
                JOIN categories cat ON cat.id = r.category_id
                WHERE (\(filter.councilID)::uuid IS NULL OR r.council_id = \(filter.councilID))
                  AND (\(filter.ids)::uuid[] IS NULL OR r.id = ANY(\(filter.ids)::uuid[]))
                  AND (\(byID) OR (
                      (\(filter.serviceCodes)::text[] IS NULL OR cat.code = ANY(\(filter.serviceCodes)::text[]))
                      AND (\(statuses)::text[] IS NULL OR r.status = ANY(\(statuses)::text[]))
                      AND (\(filter.since)::timestamptz IS NULL OR r.created_at >= \(filter.since))
                      AND (\(filter.until)::timestamptz IS NULL OR r.created_at <= \(filter.until))))
                ORDER BY r.created_at DESC, r.id DESC
                LIMIT \(filter.limit)
                """,
                logger: logger
            )
            var found: [(Report, String?)] = []
            for row in try await rows.collect(ReportStore.RowWithNote.self) {
                found.append((try ReportStore.report(row.report), row.statusNote))
            }
            return found
        }
    }

    static let statusNote = """
        (SELECT e.public_note FROM report_events e
         WHERE e.report_id = r.id AND e.kind = 'status_changed' AND e.public_note IS NOT NULL
         ORDER BY e.id DESC LIMIT 1)
        """

    public struct Update: Sendable, Equatable {
        public var eventID: Int64
        public var reportID: UUID
        public var status: ReportStatus
        public var note: String?
        public var at: Date
        public var externalReference: String?
    }

    /// Councils' status changes between `since` and `until` (one council, or all), oldest first.
    public func updates(councilID: UUID?, since: Date, until: Date, limit: Int) async throws -> [Update] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT e.id, e.report_id, e.status, e.public_note, e.created_at, r.external_reference
                FROM report_events e JOIN reports r ON r.id = e.report_id
                WHERE e.kind = 'status_changed' AND e.created_at >= \(since) AND e.created_at <= \(until)
                  AND (\(councilID)::uuid IS NULL OR r.council_id = \(councilID))
                ORDER BY e.created_at, e.id
                LIMIT \(limit)
                """,
                logger: logger
            )
            var updates: [Update] = []
            for row in try await rows.collect(UpdateRow.self) {
                updates.append(
                    Update(
                        eventID: row.id,
                        reportID: row.reportID,
                        status: row.status.flatMap(ReportStatus.init(rawValue:)) ?? .open,
                        note: row.publicNote,
                        at: row.createdAt,
                        externalReference: row.externalReference
                    )
                )
            }
            return updates
        }
    }

    struct UpdateRow: RowDecodable {
        var id: Int64
        var reportID: UUID
        var status: String?
        var publicNote: String?
        var createdAt: Date
        var externalReference: String?

        init(columns: RowColumns) throws {
            id = try columns("id")
            reportID = try columns("report_id")
            status = try columns("status")
            publicNote = try columns("public_note")
            createdAt = try columns("created_at")
            externalReference = try columns("external_reference")
        }
    }
}

extension ReportStore {
    /// `columns` followed by the latest public status note (`Open311Store.statusNote`).
    struct RowWithNote: RowDecodable {
        var report: ReportRow
        var statusNote: String?

        init(columns: RowColumns) throws {
            report = try ReportRow(columns: columns)
            statusNote = try columns("status_note")
        }
    }
}
