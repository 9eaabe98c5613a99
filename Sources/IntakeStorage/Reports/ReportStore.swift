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

    /// A report that has been routed and checked (by the intake service), ready to store.
    public struct Insert: Sendable {
        public var report: NewReport
        public var category: Category
        public var point: LatLon
        /// Attributes the sending system attached that the category does not ask for.
        public var sourceAttributes: [String: String]
        public var clientKeyID: UUID?
        public var trackingToken: TrackingToken

        public init(
            report: NewReport, category: Category, point: LatLon, sourceAttributes: [String: String], clientKeyID: UUID?,
            trackingToken: TrackingToken
        ) {
            self.report = report
            self.category = category
            self.point = point
            self.sourceAttributes = sourceAttributes
            self.clientKeyID = clientKeyID
            self.trackingToken = trackingToken
        }
    }

    /// Stores a report: the report, its `created` and `routed` events and its `case.created`
    /// dispatch job in one statement (its own transaction), with its reference from the council's
    /// sequence. Photos and an idempotency record, when there are any, join it in one
    /// transaction. Workers are told after the commit.
    public func insert(_ insert: Insert, recording: IdempotencyStore.Recording? = nil) async throws -> Report {
        let logger = self.logger
        let statement = try InsertStatement(insert)
        let photoIDs = insert.report.photoIDs
        let (stored, destination): (InsertStatement.Row, UUID?)
        if photoIDs.isEmpty && recording == nil {
            (stored, destination) = try await database.withConnection { connection in
                try await Self.run(statement, on: connection, logger: logger)
            }
        } else {
            (stored, destination) = try await database.withTransaction { connection in
                let (row, destination) = try await Self.run(statement, on: connection, logger: logger)
                try await MediaStore.attach(
                    photoIDs, to: row.0, clientKeyID: insert.clientKeyID, startingAt: 0, on: connection, logger: logger)
                if let recording {
                    try await recording.write(Self.report(insert, row), on: connection, logger: logger)
                }
                return (row, destination)
            }
        }
        database.announceJob(for: destination)
        return Self.report(insert, stored)
    }

    static func run(_ statement: InsertStatement, on connection: PostgresConnection, logger: Logger) async throws
        -> (InsertStatement.Row, UUID?)
    {
        for try await row in try await connection.execute(statement, logger: logger) { return (row, row.5) }
        // The category was retired (or deleted) between routing and the insert.
        throw CategoryGone()
    }

    /// The category routing chose is no longer active (retired or deleted meanwhile).
    public struct CategoryGone: Error {}

    /// The stored report, from what was inserted and what the database assigned.
    static func report(_ insert: Insert, _ row: InsertStatement.Row) -> Report {
        let input = insert.report
        return Report(
            id: row.0, reference: row.1, council: insert.category.council,
            category: .init(code: insert.category.code, name: insert.category.definition.name),
            status: ReportStatus(rawValue: row.2) ?? .open, location: insert.point, address: input.address,
            description: input.description, attributes: input.attributes, photoIDs: input.photoIDs,
            reporter: input.reporter.flatMap { $0.isEmpty ? nil : $0 }, anonymous: input.anonymous, externalReference: nil,
            createdAt: row.3, updatedAt: row.4, closedAt: nil, expectedAt: nil, mediaURLs: input.mediaURLs)
    }

    /// Prepared once per connection: intake's whole write in one round trip.
    struct InsertStatement: PostgresPreparedStatement {
        static let sql = """
            WITH category AS (
                SELECT id FROM categories WHERE council_id = $1 AND code = $2::text AND retired_at IS NULL
            ), report AS (
                INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
                    reporter_name, reporter_email, reporter_phone, anonymous, tracking_token_hash, client_key_id,
                    media_urls, source_attributes, reporter_account_id, reporter_device_id)
                SELECT next_report_reference($1, $3::text), $1, category.id, ST_SetSRID(ST_MakePoint($4, $5), 4326),
                    $6::text, $7::text, $8::jsonb, $9::text, $10::text, $11::text, $12, $13, $14::uuid, $15::text[],
                    $16::jsonb, $17::text, $18::text
                FROM category
                RETURNING id, reference, status, created_at, updated_at
            ), created AS (
                INSERT INTO report_events (report_id, kind, status, actor)
                SELECT id, 'created', 'open', 'reporter' FROM report
                RETURNING id, report_id
            ), routed AS (
                INSERT INTO report_events (report_id, kind, public_note, actor)
                SELECT id, 'routed', $19::text, 'system' FROM report
            ), job AS (
                INSERT INTO dispatch_jobs (report_id, event_id, event_type, destination_id)
                SELECT created.report_id, created.id, 'case.created', dispatch_destination($1, category.id)
                FROM created, category
                RETURNING destination_id
            )
            SELECT report.id, report.reference, report.status, report.created_at, report.updated_at,
                (SELECT destination_id FROM job)
            FROM report
            """
        typealias Row = (UUID, String, String, Date, Date, UUID?)

        var bindings: PostgresBindings

        init(_ insert: Insert) throws {
            let input = insert.report
            let reporter = input.reporter ?? ReporterContact()
            var bindings = PostgresBindings(capacity: 19)
            bindings.append(insert.category.council.id)
            bindings.append(insert.category.code)
            bindings.append(ReportRules.referencePrefix(for: insert.category.code))
            bindings.append(insert.point.lon)
            bindings.append(insert.point.lat)
            bindings.append(input.address)
            bindings.append(input.description)
            bindings.append(AttributeJSON.write(input.attributes))
            bindings.append(reporter.name)
            bindings.append(reporter.email)
            bindings.append(reporter.phone)
            bindings.append(input.anonymous)
            try bindings.append(Data(insert.trackingToken.hash))
            bindings.append(insert.clientKeyID)
            bindings.append(input.mediaURLs)
            bindings.append(AttributeJSON.write(insert.sourceAttributes))
            bindings.append(input.accountID)
            bindings.append(input.deviceID)
            bindings.append("Sent to \(insert.category.council.name)")
            self.bindings = bindings
        }

        func makeBindings() throws -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The report and its tracking token's hash (the caller checks a presented token in
    /// constant time). Prepared: planning the joins costs more than running them.
    public func find(id: UUID) async throws -> (Report, tokenHash: [UInt8])? {
        let logger = self.logger
        return try await database.withConnection { connection in
            for try await row in try await connection.execute(FindStatement(id: id), logger: logger) {
                return (try Self.report(Self.row(row)), Array(row.25))
            }
            return nil
        }
    }

    struct FindStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT \(ReportStore.columns), r.tracking_token_hash FROM reports r
            JOIN councils c ON c.id = r.council_id
            JOIN categories cat ON cat.id = r.category_id
            WHERE r.id = $1
            """
        typealias Row = RowWithToken
        var id: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    public func timeline(reportID: UUID) async throws -> [TimelineEvent] {
        let logger = self.logger
        return try await database.withConnection { connection in
            var events: [TimelineEvent] = []
            for try await row in try await connection.execute(TimelineStatement(reportID: reportID), logger: logger) {
                events.append(
                    TimelineEvent(
                        id: row.0, kind: TimelineEvent.Kind(rawValue: row.1) ?? .comment,
                        status: row.2.flatMap(ReportStatus.init(rawValue:)), publicNote: row.3, internalNote: row.4,
                        actor: TimelineEvent.Actor(rawValue: row.5) ?? .system, createdAt: row.6, photoID: row.7))
            }
            return events
        }
    }

    struct TimelineStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT id, kind, status, public_note, internal_note, actor, created_at, media_id
            FROM report_events WHERE report_id = $1 ORDER BY id
            """
        typealias Row = (Int64, String, String?, String?, String?, String, Date, UUID?)
        var reportID: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(reportID)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    // MARK: Positions

    /// A British National Grid reference as WGS84, by PostGIS.
    public func wgs84(easting: Double, northing: Double) async throws -> LatLon {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT ST_Y(p), ST_X(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(\(easting), \(northing)), 27700), 4326) AS p
                """, logger: logger)
            for try await (lat, lon) in rows.decode((Double, Double).self) {
                // Six decimals: about 10 cm, finer than the grid reference it came from.
                return LatLon(lat: (lat * 1e6).rounded() / 1e6, lon: (lon * 1e6).rounded() / 1e6)
            }
            throw NoRowReturned()
        }
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
        let attributes = try AttributeJSON.parse(row.13) ?? JSONDecoder().decode([String: AttributeAnswer].self, from: Data(row.13.utf8))
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
