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

    /// The report's columns (`ReportStore.columns`) and its event's, prefixed `event_` so the names do not clash.
    struct Row: RowDecodable {
        var report: ReportStore.ReportRow
        var eventID: Int64
        var eventKind: String
        var eventStatus: String?
        var eventPublicNote: String?
        var eventInternalNote: String?
        var eventActor: String
        var eventCreatedAt: Date
        var eventMediaID: UUID?

        init(columns: RowColumns) throws {
            report = try ReportStore.ReportRow(columns: columns)
            eventID = try columns("event_id")
            eventKind = try columns("event_kind")
            eventStatus = try columns("event_status")
            eventPublicNote = try columns("event_public_note")
            eventInternalNote = try columns("event_internal_note")
            eventActor = try columns("event_actor")
            eventCreatedAt = try columns("event_created_at")
            eventMediaID = try columns("event_media_id")
        }
    }

    /// Prepared once per connection (every receive and every push batch runs it).
    struct BuildStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT \(ReportStore.columns),
                e.id AS event_id, e.kind AS event_kind, e.status AS event_status, e.public_note AS event_public_note,
                e.internal_note AS event_internal_note, e.actor AS event_actor, e.created_at AS event_created_at,
                e.media_id AS event_media_id
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

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
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
                let report = try ReportStore.report(row.report)
                let event = TimelineEvent(
                    id: row.eventID,
                    kind: TimelineEvent.Kind(rawValue: row.eventKind) ?? .comment,
                    status: row.eventStatus.flatMap(ReportStatus.init(rawValue:)),
                    publicNote: row.eventPublicNote,
                    internalNote: row.eventInternalNote,
                    actor: TimelineEvent.Actor(rawValue: row.eventActor) ?? .system,
                    createdAt: row.eventCreatedAt,
                    photoID: row.eventMediaID
                )
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
                messageID: source.messageID,
                type: source.eventType,
                report: report,
                event: event,
                baseURL: baseURL
            )
        }
        return messages
    }
}
