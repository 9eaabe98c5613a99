import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for reports and their timeline.
public struct ReportStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// What intake hands back: the report and the reporter's secret, shown once.
    public struct Created: Sendable {
        public var report: Report
        public var trackingToken: TrackingToken
    }

    /// Routes, checks and stores a report in one transaction: the report, its `created` and
    /// `routed` events and its `case.created` dispatch job commit together or not at all.
    /// `beforeCommit` runs last inside the transaction (idempotency records the response there).
    public func create(
        _ input: NewReport, clientKeyID: UUID?,
        beforeCommit: @escaping @Sendable (Created, PostgresConnection) async throws -> Void = { _, _ in }
    ) async throws -> Created {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let point = try await Self.wgs84(input.position, on: connection, logger: logger)
            let category = try await Self.route(input.categoryCode, at: point, on: connection, logger: logger)
            var input = input
            var sourceAttributes: [String: String] = [:]
            if input.source == .open311 {
                (input.attributes, sourceAttributes) = ReportRules.adoptForeignAnswers(
                    input.attributes, questions: category.definition.attributes)
                input.anonymous = category.definition.anonymousAllowed
            }
            let problems = ReportRules.check(input, against: category.definition)
            if !problems.isEmpty { throw APIError.validation(problems) }
            let prefix = ReportRules.referencePrefix(for: category.code)
            let number = try await Self.nextReferenceNumber(councilID: category.council.id, prefix: prefix, on: connection, logger: logger)
            let token = TrackingToken.generate()
            let attributes = String(decoding: try JSONEncoder().encode(input.attributes), as: UTF8.self)
            let extras = String(decoding: try JSONEncoder().encode(sourceAttributes), as: UTF8.self)
            let reporter = input.reporter ?? ReporterContact()
            let rows = try await connection.query(
                """
                WITH category AS (
                    SELECT id FROM categories WHERE council_id = \(category.council.id) AND code = \(category.code)
                ), report AS (
                    INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
                        reporter_name, reporter_email, reporter_phone, anonymous, tracking_token_hash, client_key_id,
                        media_urls, source_attributes, reporter_account_id, reporter_device_id)
                    SELECT \(ReportRules.reference(prefix: prefix, number: number)), \(category.council.id), category.id,
                        ST_SetSRID(ST_MakePoint(\(point.lon), \(point.lat)), 4326), \(input.address), \(input.description),
                        \(attributes)::jsonb, \(reporter.name), \(reporter.email), \(reporter.phone), \(input.anonymous),
                        \(Data(token.hash)), \(clientKeyID), \(input.mediaURLs), \(extras)::jsonb, \(input.accountID),
                        \(input.deviceID)
                    FROM category
                    RETURNING *
                ), created AS (
                    INSERT INTO report_events (report_id, kind, status, actor)
                    SELECT id, 'created', 'open', 'reporter' FROM report
                    RETURNING id, report_id
                ), routed AS (
                    INSERT INTO report_events (report_id, kind, public_note, actor)
                    SELECT id, 'routed', \("Sent to \(category.council.name)"), 'system' FROM report
                ), job AS (
                    INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id)
                    SELECT report_id, created.id, 'case.created', dispatch_destination(\(category.council.id), category.id)
                    FROM created, category
                )
                SELECT \(unescaped: Self.columns) FROM report r
                JOIN councils c ON c.id = r.council_id
                JOIN categories cat ON cat.id = r.category_id
                """, logger: logger)
            guard var report = try await Self.decode(rows).first else {
                throw APIError.internalError
            }
            try await MediaStore.attach(
                input.photoIDs, to: report.id, clientKeyID: clientKeyID, startingAt: 0, pointer: "/photos",
                on: connection, logger: logger)
            report.photoIDs = input.photoIDs
            let created = Created(report: report, trackingToken: token)
            try await beforeCommit(created, connection)
            return created
        }
    }

    /// The report and how the caller may see it (`token` checked in constant time).
    public func find(id: UUID) async throws -> (Report, tokenHash: [UInt8])? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns), r.tracking_token_hash FROM reports r
                JOIN councils c ON c.id = r.council_id
                JOIN categories cat ON cat.id = r.category_id
                WHERE r.id = \(id)
                """, logger: logger)
            for try await row in rows.decode(Self.RowWithToken.self) {
                return (try Self.report(Self.row(row)), Array(row.25))
            }
            return nil
        }
    }

    public func timeline(reportID: UUID) async throws -> [TimelineEvent] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, kind, status, public_note, internal_note, actor, created_at, media_id
                FROM report_events WHERE report_id = \(reportID) ORDER BY id
                """, logger: logger)
            var events: [TimelineEvent] = []
            for try await row in rows.decode((Int64, String, String?, String?, String?, String, Date, UUID?).self) {
                events.append(
                    TimelineEvent(
                        id: row.0, kind: TimelineEvent.Kind(rawValue: row.1) ?? .comment,
                        status: row.2.flatMap(ReportStatus.init(rawValue:)), publicNote: row.3, internalNote: row.4,
                        actor: TimelineEvent.Actor(rawValue: row.5) ?? .system, createdAt: row.6, photoID: row.7))
            }
            return events
        }
    }

    // MARK: Steps of intake

    static func wgs84(_ position: ReportPosition, on connection: PostgresConnection, logger: Logger) async throws -> LatLon {
        switch position {
        case .wgs84(let point): return point
        case .britishNationalGrid(let easting, let northing):
            let rows = try await connection.query(
                """
                SELECT ST_Y(p), ST_X(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(\(easting), \(northing)), 27700), 4326) AS p
                """, logger: logger)
            for try await (lat, lon) in rows.decode((Double, Double).self) {
                // Six decimals: about 10 cm, finer than the grid reference it came from.
                return LatLon(lat: (lat * 1e6).rounded() / 1e6, lon: (lon * 1e6).rounded() / 1e6)
            }
            throw APIError.internalError
        }
    }

    /// The category that handles `code` at the point, or the routing error the app should show.
    static func route(_ code: String, at point: LatLon, on connection: PostgresConnection, logger: Logger) async throws
        -> Category
    {
        let councils = try await RoutingStore.councilsCovering(point, on: connection, logger: logger)
        guard !councils.isEmpty else { throw APIError.outsideServiceArea(point) }
        let available = try await RoutingStore.categories(for: councils, on: connection, logger: logger)
        guard let category = available.first(where: { $0.code == code }) else {
            throw APIError.categoryNotAvailableHere(code, available: available.map(\.code))
        }
        return category
    }

    static func nextReferenceNumber(councilID: UUID, prefix: String, on connection: PostgresConnection, logger: Logger)
        async throws -> Int
    {
        let rows = try await connection.query(
            """
            INSERT INTO report_reference_counters (council_id, prefix, last_value) VALUES (\(councilID), \(prefix), 1)
            ON CONFLICT (council_id, prefix) DO UPDATE SET last_value = report_reference_counters.last_value + 1
            RETURNING last_value
            """, logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        throw APIError.internalError
    }

    // MARK: Rows

    static let columns = """
        r.id, r.reference, c.id, c.slug, c.name, c.tier, cat.code, cat.name, r.status,
        ST_Y(r.location), ST_X(r.location), r.address, r.description, r.attributes::text,
        r.reporter_name, r.reporter_email, r.reporter_phone, r.anonymous, r.external_reference,
        r.created_at, r.updated_at, r.closed_at, r.expected_at,
        ARRAY(SELECT m.id FROM media m WHERE m.report_id = r.id ORDER BY m.position, m.attached_at), r.media_urls
        """

    typealias Row = (
        UUID, String, UUID, String, String, String, String, String, String, Double, Double, String?, String, String,
        String?, String?, String?, Bool, String?, Date, Date, Date?, Date?, [UUID], [String]
    )
    typealias RowWithToken = (
        UUID, String, UUID, String, String, String, String, String, String, Double, Double, String?, String, String,
        String?, String?, String?, Bool, String?, Date, Date, Date?, Date?, [UUID], [String], Data
    )

    static func report(_ row: Row) throws -> Report {
        let attributes = try JSONDecoder().decode([String: AttributeAnswer].self, from: Data(row.13.utf8))
        let reporter = ReporterContact(name: row.14, email: row.15, phone: row.16)
        return Report(
            id: row.0, reference: row.1,
            council: CouncilRef(id: row.2, slug: row.3, name: row.4, tier: Council.Tier(rawValue: row.5) ?? .unitary),
            category: .init(code: row.6, name: row.7), status: ReportStatus(rawValue: row.8) ?? .open,
            location: LatLon(lat: row.9, lon: row.10), address: row.11, description: row.12, attributes: attributes,
            photoIDs: row.23, reporter: reporter.isEmpty ? nil : reporter, anonymous: row.17, externalReference: row.18,
            createdAt: row.19, updatedAt: row.20, closedAt: row.21, expectedAt: row.22, mediaURLs: row.24)
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Report] {
        var reports: [Report] = []
        for try await row in rows.decode(Row.self) { reports.append(try report(row)) }
        return reports
    }
}
