import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Builds the messages back offices receive: the event that happened and the case as it stands
/// now, for a batch of jobs in two queries.
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

    /// Messages by message id. A job whose report has gone (deleted council) has none.
    public func build(_ sources: [Source]) async throws -> [UUID: CaseMessage] {
        guard !sources.isEmpty else { return [:] }
        let logger = self.logger
        let reportIDs = Array(Set(sources.map(\.reportID)))
        let eventIDs = Array(Set(sources.map(\.eventID)))
        let (reports, events) = try await database.withConnection { connection in
            let reportRows = try await connection.query(
                """
                SELECT \(unescaped: ReportStore.columns) FROM reports r
                JOIN councils c ON c.id = r.council_id
                JOIN categories cat ON cat.id = r.category_id
                WHERE r.id = ANY(\(reportIDs)::uuid[])
                """, logger: logger)
            var reports: [UUID: Report] = [:]
            for report in try await ReportStore.decode(reportRows) { reports[report.id] = report }
            let eventRows = try await connection.query(
                """
                SELECT id, kind, status, public_note, internal_note, actor, created_at, media_id
                FROM report_events WHERE id = ANY(\(eventIDs)::int8[])
                """, logger: logger)
            var events: [Int64: TimelineEvent] = [:]
            for try await row in eventRows.decode((Int64, String, String?, String?, String?, String, Date, UUID?).self) {
                events[row.0] = TimelineEvent(
                    id: row.0, kind: TimelineEvent.Kind(rawValue: row.1) ?? .comment,
                    status: row.2.flatMap(ReportStatus.init(rawValue:)), publicNote: row.3, internalNote: row.4,
                    actor: TimelineEvent.Actor(rawValue: row.5) ?? .system, createdAt: row.6, photoID: row.7)
            }
            return (reports, events)
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
