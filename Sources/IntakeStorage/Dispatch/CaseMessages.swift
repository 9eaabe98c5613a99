import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Builds the messages back offices receive: the event that happened and the case as it stands
/// now, for a batch of jobs in one query.
public struct CaseMessages: Sendable {
    let database: Database
    let logger: Logger
    /// The public address of this service, for photo links.
    let baseURL: String

    public init(database: Database, logger: Logger, baseURL: String) {
        self.database = database
        self.logger = logger
        self.baseURL = baseURL
    }

    public struct Source: Sendable, Hashable {
        public var messageID: UUID
        public var eventType: String
        public var reportID: UUID
        public var eventID: Int64

        public init(messageID: UUID, eventType: String, reportID: UUID, eventID: Int64) {
            self.messageID = messageID
            self.eventType = eventType
            self.reportID = reportID
            self.eventID = eventID
        }
    }

    typealias Row = (
        UUID, String, UUID, String, String, String, String, String, String, Double, Double, String?, String, String,
        String?, String?, String?, Bool, String?, Date, Date, Date?, Date?, [UUID], [String],
        Int64, String, String?, String?, String?, String, Date, UUID?
    )

    /// Prepared once per connection (every receive and every push batch runs it).
    struct BuildStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT \(ReportStore.columns),
                e.id, e.kind, e.status, e.public_note, e.internal_note, e.actor, e.created_at, e.media_id
            FROM unnest($1::uuid[], $2::int8[]) AS s(report_id, event_id)
            JOIN reports r ON r.id = s.report_id
            JOIN councils c ON c.id = r.council_id
            JOIN categories cat ON cat.id = r.category_id
            JOIN report_events e ON e.id = s.event_id
            """

        var reportIDs: [UUID]
        var eventIDs: [Int64]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(reportIDs)
            bindings.append(eventIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Messages by message id. A job whose report has gone (deleted council) has none.
    public func build(_ sources: [Source]) async throws -> [UUID: CaseMessage] {
        guard !sources.isEmpty else { return [:] }
        let logger = self.logger
        // One round trip: each source's report columns followed by its event's.
        let statement = BuildStatement(reportIDs: sources.map(\.reportID), eventIDs: sources.map(\.eventID))
        let rows = try await database.withConnection { connection in
            var found: [(Report, TimelineEvent)] = []
            for try await row in try await connection.execute(statement, logger: logger) {
                let report = try ReportStore.report(
                    (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13,
                     row.14, row.15, row.16, row.17, row.18, row.19, row.20, row.21, row.22, row.23, row.24))
                let event = TimelineEvent(
                    id: row.25, kind: TimelineEvent.Kind(rawValue: row.26) ?? .comment,
                    status: row.27.flatMap(ReportStatus.init(rawValue:)), publicNote: row.28, internalNote: row.29,
                    actor: TimelineEvent.Actor(rawValue: row.30) ?? .system, createdAt: row.31, photoID: row.32)
                found.append((report, event))
            }
            return found
        }
        var reports: [UUID: Report] = [:]
        var events: [Int64: TimelineEvent] = [:]
        for (report, event) in rows {
            reports[report.id] = report
            events[event.id] = event
        }
        var messages: [UUID: CaseMessage] = [:]
        for source in sources {
            guard let report = reports[source.reportID], let event = events[source.eventID] else { continue }
            messages[source.messageID] = CaseMessage(
                messageID: source.messageID, type: source.eventType, report: report, event: event, baseURL: baseURL)
        }
        return messages
    }
}
