import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for councils.
public struct CouncilStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public enum WriteError: Error, Equatable {
        case slugTaken
        case codeTaken
    }

    public func create(_ council: NewCouncil) async throws -> Council {
        let logger = self.logger
        return try await Self.mappingUniqueViolations {
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO councils (slug, name, tier, code, contact_email, contact_phone, website)
                    VALUES (\(council.slug), \(council.name), \(council.tier.rawValue), \(council.code),
                            \(council.contact.email), \(council.contact.phone), \(council.contact.website))
                    RETURNING \(unescaped: Self.columns)
                    """,
                    logger: logger
                )
                return try await Self.decodeOne(rows)!
            }
        }
    }

    public func find(slug: String) async throws -> Council? {
        let logger = self.logger
        return try await database.withConnection { connection in
            try await Self.find(slug: slug, on: connection, logger: logger)
        }
    }

    public func find(id: UUID) async throws -> Council? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM councils WHERE id = \(id)",
                logger: logger
            )
            return try await Self.decodeOne(rows)
        }
    }

    static func find(slug: String, on connection: PostgresConnection, logger: Logger) async throws -> Council? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM councils WHERE slug = \(slug)",
            logger: logger
        )
        return try await Self.decodeOne(rows)
    }

    public func list() async throws -> [Council] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM councils ORDER BY slug",
                logger: logger
            )
            var councils: [Council] = []
            for row in try await rows.collect(CouncilRow.self) { councils.append(Self.council(row)) }
            return councils
        }
    }

    /// Writes the whole council as given (the caller applied a `CouncilUpdate` to the stored one).
    public func update(_ council: Council) async throws -> Council {
        let logger = self.logger
        return try await Self.mappingUniqueViolations {
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    UPDATE councils SET name = \(council.name), tier = \(council.tier.rawValue), code = \(council.code),
                        contact_email = \(council.contact.email), contact_phone = \(council.contact.phone),
                        website = \(council.contact.website), updated_at = now()
                    WHERE id = \(council.id)
                    RETURNING \(unescaped: Self.columns)
                    """,
                    logger: logger
                )
                return try await Self.decodeOne(rows)!
            }
        }
    }

    // Geography comes from PostGIS: the box and a point on the surface (inside even for a
    // crescent-shaped council, unlike the centroid).
    static let columns = """
        id, slug, name, tier, code, contact_email, contact_phone, website, created_at, updated_at,
        ST_YMin(boundary) AS min_lat, ST_XMin(boundary) AS min_lon, ST_YMax(boundary) AS max_lat, ST_XMax(boundary) AS max_lon,
        ST_Y(ST_PointOnSurface(boundary)) AS point_lat, ST_X(ST_PointOnSurface(boundary)) AS point_lon
        """

    /// A row of `columns`.
    struct CouncilRow: RowDecodable {
        var id: UUID
        var slug: String
        var name: String
        var tier: String
        var code: String?
        var contactEmail: String?
        var contactPhone: String?
        var website: String?
        var createdAt: Date
        var updatedAt: Date
        var minLat: Double?
        var minLon: Double?
        var maxLat: Double?
        var maxLon: Double?
        var pointLat: Double?
        var pointLon: Double?

        init(columns: RowColumns) throws {
            id = try columns("id")
            slug = try columns("slug")
            name = try columns("name")
            tier = try columns("tier")
            code = try columns("code")
            contactEmail = try columns("contact_email")
            contactPhone = try columns("contact_phone")
            website = try columns("website")
            createdAt = try columns("created_at")
            updatedAt = try columns("updated_at")
            minLat = try columns("min_lat")
            minLon = try columns("min_lon")
            maxLat = try columns("max_lat")
            maxLon = try columns("max_lon")
            pointLat = try columns("point_lat")
            pointLon = try columns("point_lon")
        }
    }

    static func council(_ row: CouncilRow) -> Council {
        // Seven decimals is about a centimetre: enough, and free of floating-point noise.
        func round(_ value: Double) -> Double { (value * 1e7).rounded() / 1e7 }
        var geography: Council.Geography?
        if let minLat = row.minLat, let minLon = row.minLon, let maxLat = row.maxLat, let maxLon = row.maxLon,
            let lat = row.pointLat, let lon = row.pointLon
        {
            geography = .init(
                minLat: round(minLat),
                minLon: round(minLon),
                maxLat: round(maxLat),
                maxLon: round(maxLon),
                representativePoint: LatLon(lat: round(lat), lon: round(lon))
            )
        }
        return Council(
            id: row.id,
            slug: row.slug,
            name: row.name,
            tier: Council.Tier(rawValue: row.tier) ?? .unitary,
            code: row.code,
            contact: .init(email: row.contactEmail, phone: row.contactPhone, website: row.website),
            geography: geography,
            createdAt: row.createdAt,
            updatedAt: row.updatedAt
        )
    }

    static func decodeOne(_ rows: PostgresRowSequence) async throws -> Council? {
        guard let row = try await rows.first(CouncilRow.self) else { return nil }
        return council(row)
    }

    static func mappingUniqueViolations<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch  where DatabaseErrors.sqlState(error) == "23505" {
            let constraint = (error as? PSQLError)?.serverInfo?[.constraintName] ?? ""
            throw constraint.contains("code") ? WriteError.codeTaken : WriteError.slugTaken
        }
    }
}
