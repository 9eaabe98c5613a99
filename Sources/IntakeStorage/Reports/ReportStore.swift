import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for reports and their timeline.
public struct ReportStore: Sendable {
    let database: Database
    let logger: Logger
    /// How a map listing chooses its way (see `listInBox`); tests set them low to take every
    /// way through small data.
    ///
    /// How many of the newest reports are looked at first: a box holding a page of them (a
    /// county, a busy town) is answered from those alone.
    public var newestLookedAtFirst = 2_000
    /// Above this many matches a box is dense enough that reading reports newest first and
    /// keeping those inside finds a page sooner than sorting every match. At ten million reports
    /// either way reads at most about 25,000 index entries: the crossing point of the two costs
    /// (this many from the box's index, against `limit` × reports ÷ this many from the time one).
    public var boxMatchesToSort = 25_000

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
            report: NewReport,
            category: Category,
            point: LatLon,
            sourceAttributes: [String: String],
            clientKeyID: UUID?,
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
                    photoIDs,
                    to: row.id,
                    clientKeyID: insert.clientKeyID,
                    startingAt: 0,
                    on: connection,
                    logger: logger
                )
                if let recording {
                    try await recording.write(Self.report(insert, row), on: connection, logger: logger)
                }
                return (row, destination)
            }
        }
        database.announceJob(for: destination)
        return Self.report(insert, stored)
    }

    static func run(
        _ statement: InsertStatement,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws
        -> (InsertStatement.Row, UUID?)
    {
        for try await row in try await connection.execute(statement, logger: logger) { return (row, row.destinationID) }
        // The category was retired (or deleted) between routing and the insert.
        throw CategoryGone()
    }

    /// The category routing chose is no longer active (retired or deleted meanwhile).
    public struct CategoryGone: Error {}

    /// The stored report, from what was inserted and what the database assigned.
    static func report(_ insert: Insert, _ row: InsertStatement.Row) -> Report {
        let input = insert.report
        return Report(
            id: row.id,
            reference: row.reference,
            council: insert.category.council,
            category: .init(code: insert.category.code, name: insert.category.definition.name),
            status: ReportStatus(rawValue: row.status) ?? .open,
            location: insert.point,
            address: input.address,
            description: input.description,
            attributes: input.attributes,
            photoIDs: input.photoIDs,
            reporter: input.reporter.flatMap { $0.isEmpty ? nil : $0 },
            anonymous: input.anonymous,
            externalReference: nil,
            createdAt: row.createdAt,
            updatedAt: row.updatedAt,
            closedAt: nil,
            expectedAt: nil,
            mediaURLs: input.mediaURLs
        )
    }

    /// Prepared once per connection: intake's whole write in one round trip.
    struct InsertStatement: PostgresPreparedStatement {
        static let sql = """
            WITH category AS (
                SELECT id FROM categories WHERE council_id = $1 AND code = $2::text AND retired_at IS NULL
            ), report AS (
                INSERT INTO reports (reference, council_id, category_id, location, address, description, attributes,
                    reporter_name, reporter_email, reporter_phone, anonymous, tracking_token_hash, client_key_id,
                    media_urls, source_attributes, reporter_account_id, reporter_device_id, notify)
                SELECT next_report_reference($1, $3::text), $1, category.id, ST_SetSRID(ST_MakePoint($4, $5), 4326),
                    $6::text, $7::text, $8::jsonb, $9::text, $10::text, $11::text, $12, $13, $14::uuid, $15::text[],
                    $16::jsonb, $17::text, $18::text, $20
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
                (SELECT destination_id FROM job) AS destination_id
            FROM report
            """
        typealias Row = InsertRow

        var bindings: PostgresBindings

        init(_ insert: Insert) throws {
            let input = insert.report
            let reporter = input.reporter ?? ReporterContact()
            var bindings = PostgresBindings(capacity: 20)
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
            bindings.append(input.notify)
            self.bindings = bindings
        }

        func makeBindings() throws -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    /// What the insert returns: the columns the database assigned and the job's destination.
    struct InsertRow: RowDecodable {
        var id: UUID
        var reference: String
        var status: String
        var createdAt: Date
        var updatedAt: Date
        var destinationID: UUID?

        init(columns: RowColumns) throws {
            id = try columns("id")
            reference = try columns("reference")
            status = try columns("status")
            createdAt = try columns("created_at")
            updatedAt = try columns("updated_at")
            destinationID = try columns("destination_id")
        }
    }

    /// The report and its tracking token's hash (the caller checks a presented token in
    /// constant time). Prepared: planning the joins costs more than running them.
    public func find(id: UUID) async throws -> (Report, tokenHash: [UInt8])? {
        let logger = self.logger
        return try await database.withConnection { connection in
            for try await row in try await connection.execute(FindStatement(id: id), logger: logger) {
                return (try Self.report(row.report), Array(row.trackingTokenHash))
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

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    public func timeline(reportID: UUID) async throws -> [TimelineEvent] {
        let logger = self.logger
        return try await database.withConnection { connection in
            var events: [TimelineEvent] = []
            for try await row in try await connection.execute(TimelineStatement(reportID: reportID), logger: logger) {
                events.append(
                    TimelineEvent(
                        id: row.id,
                        kind: TimelineEvent.Kind(rawValue: row.kind) ?? .comment,
                        status: row.status.flatMap(ReportStatus.init(rawValue:)),
                        publicNote: row.publicNote,
                        internalNote: row.internalNote,
                        actor: TimelineEvent.Actor(rawValue: row.actor) ?? .system,
                        createdAt: row.createdAt,
                        photoID: row.mediaID
                    )
                )
            }
            return events
        }
    }

    struct TimelineStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT id, kind, status, public_note, internal_note, actor, created_at, media_id
            FROM report_events WHERE report_id = $1 ORDER BY id
            """
        typealias Row = TimelineRow
        var reportID: UUID

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(reportID)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    struct TimelineRow: RowDecodable {
        var id: Int64
        var kind: String
        var status: String?
        var publicNote: String?
        var internalNote: String?
        var actor: String
        var createdAt: Date
        var mediaID: UUID?

        init(columns: RowColumns) throws {
            id = try columns("id")
            kind = try columns("kind")
            status = try columns("status")
            publicNote = try columns("public_note")
            internalNote = try columns("internal_note")
            actor = try columns("actor")
            createdAt = try columns("created_at")
            mediaID = try columns("media_id")
        }
    }

    // MARK: Positions

    /// A British National Grid reference as WGS84, by PostGIS.
    public func wgs84(easting: Double, northing: Double) async throws -> LatLon {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT ST_Y(p), ST_X(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(\(easting), \(northing)), 27700), 4326) AS p
                """,
                logger: logger
            )
            for try await (lat, lon) in rows.decode((Double, Double).self) {
                // Six decimals: about 10 cm, finer than the grid reference it came from.
                return LatLon(lat: (lat * 1e6).rounded() / 1e6, lon: (lon * 1e6).rounded() / 1e6)
            }
            throw NoRowReturned()
        }
    }

    // MARK: Rows

    /// The report columns, named for `ReportRow`: the council's and category's columns are
    /// prefixed, so a query can add its own columns (an event's `id`, `status`, …) beside them.
    static let columns = """
        r.id, r.reference, c.id AS council_id, c.slug AS council_slug, c.name AS council_name, c.tier AS council_tier,
        cat.code AS category_code, cat.name AS category_name, r.status,
        ST_Y(r.location) AS lat, ST_X(r.location) AS lon, r.address, r.description, r.attributes::text AS attributes,
        r.reporter_name, r.reporter_email, r.reporter_phone, r.anonymous, r.external_reference,
        r.created_at, r.updated_at, r.closed_at, r.expected_at,
        ARRAY(SELECT m.id FROM media m WHERE m.report_id = r.id ORDER BY m.position, m.attached_at) AS photo_ids, r.media_urls
        """

    /// A row of `columns`.
    struct ReportRow: RowDecodable {
        var id: UUID
        var reference: String
        var councilID: UUID
        var councilSlug: String
        var councilName: String
        var councilTier: String
        var categoryCode: String
        var categoryName: String
        var status: String
        var lat: Double
        var lon: Double
        var address: String?
        var description: String
        var attributes: String
        var reporterName: String?
        var reporterEmail: String?
        var reporterPhone: String?
        var anonymous: Bool
        var externalReference: String?
        var createdAt: Date
        var updatedAt: Date
        var closedAt: Date?
        var expectedAt: Date?
        var photoIDs: [UUID]
        var mediaURLs: [String]

        init(columns: RowColumns) throws {
            id = try columns("id")
            reference = try columns("reference")
            councilID = try columns("council_id")
            councilSlug = try columns("council_slug")
            councilName = try columns("council_name")
            councilTier = try columns("council_tier")
            categoryCode = try columns("category_code")
            categoryName = try columns("category_name")
            status = try columns("status")
            lat = try columns("lat")
            lon = try columns("lon")
            address = try columns("address")
            description = try columns("description")
            attributes = try columns("attributes")
            reporterName = try columns("reporter_name")
            reporterEmail = try columns("reporter_email")
            reporterPhone = try columns("reporter_phone")
            anonymous = try columns("anonymous")
            externalReference = try columns("external_reference")
            createdAt = try columns("created_at")
            updatedAt = try columns("updated_at")
            closedAt = try columns("closed_at")
            expectedAt = try columns("expected_at")
            photoIDs = try columns("photo_ids")
            mediaURLs = try columns("media_urls")
        }
    }

    /// `columns` followed by `r.tracking_token_hash`.
    struct RowWithToken: RowDecodable {
        var report: ReportRow
        var trackingTokenHash: Data

        init(columns: RowColumns) throws {
            report = try ReportRow(columns: columns)
            trackingTokenHash = try columns("tracking_token_hash")
        }
    }

    static func report(_ row: ReportRow) throws -> Report {
        let attributes =
            try AttributeJSON.parse(row.attributes) ?? JSONDecoder().decode([String: AttributeAnswer].self, from: Data(row.attributes.utf8))
        let reporter = ReporterContact(name: row.reporterName, email: row.reporterEmail, phone: row.reporterPhone)
        return Report(
            id: row.id,
            reference: row.reference,
            council: CouncilRef(
                id: row.councilID,
                slug: row.councilSlug,
                name: row.councilName,
                tier: Council.Tier(rawValue: row.councilTier) ?? .unitary
            ),
            category: .init(code: row.categoryCode, name: row.categoryName),
            status: ReportStatus(rawValue: row.status) ?? .open,
            location: LatLon(lat: row.lat, lon: row.lon),
            address: row.address,
            description: row.description,
            attributes: attributes,
            photoIDs: row.photoIDs,
            reporter: reporter.isEmpty ? nil : reporter,
            anonymous: row.anonymous,
            externalReference: row.externalReference,
            createdAt: row.createdAt,
            updatedAt: row.updatedAt,
            closedAt: row.closedAt,
            expectedAt: row.expectedAt,
            mediaURLs: row.mediaURLs
        )
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Report] {
        var reports: [Report] = []
        for row in try await rows.collect(ReportRow.self) { reports.append(try report(row)) }
        return reports
    }
}
