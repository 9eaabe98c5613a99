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
                    """, logger: logger)
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
                "SELECT \(unescaped: Self.columns) FROM councils WHERE id = \(id)", logger: logger)
            return try await Self.decodeOne(rows)
        }
    }

    static func find(slug: String, on connection: PostgresConnection, logger: Logger) async throws -> Council? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM councils WHERE slug = \(slug)", logger: logger)
        return try await Self.decodeOne(rows)
    }

    public func list() async throws -> [Council] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM councils ORDER BY slug", logger: logger)
            var councils: [Council] = []
            for try await row in rows.decode(Self.Row.self) { councils.append(Self.council(row)) }
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
                    """, logger: logger)
                return try await Self.decodeOne(rows)!
            }
        }
    }

    // Geography comes from PostGIS: the box and a point on the surface (inside even for a
    // crescent-shaped council, unlike the centroid).
    static let columns = """
        id, slug, name, tier, code, contact_email, contact_phone, website, created_at, updated_at,
        ST_YMin(boundary), ST_XMin(boundary), ST_YMax(boundary), ST_XMax(boundary),
        ST_Y(ST_PointOnSurface(boundary)), ST_X(ST_PointOnSurface(boundary))
        """
    typealias Row = (
        UUID, String, String, String, String?, String?, String?, String?, Date, Date,
        Double?, Double?, Double?, Double?, Double?, Double?
    )

    static func council(_ row: Row) -> Council {
        // Seven decimals is about a centimetre: enough, and free of floating-point noise.
        func round(_ value: Double) -> Double { (value * 1e7).rounded() / 1e7 }
        var geography: Council.Geography?
        if let minLat = row.10, let minLon = row.11, let maxLat = row.12, let maxLon = row.13, let lat = row.14,
            let lon = row.15
        {
            geography = .init(
                minLat: round(minLat), minLon: round(minLon), maxLat: round(maxLat), maxLon: round(maxLon),
                representativePoint: LatLon(lat: round(lat), lon: round(lon)))
        }
        return Council(
            id: row.0, slug: row.1, name: row.2, tier: Council.Tier(rawValue: row.3) ?? .unitary, code: row.4,
            contact: .init(email: row.5, phone: row.6, website: row.7), geography: geography, createdAt: row.8,
            updatedAt: row.9)
    }

    static func decodeOne(_ rows: PostgresRowSequence) async throws -> Council? {
        for try await row in rows.decode(Row.self) { return council(row) }
        return nil
    }

    static func mappingUniqueViolations<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch where DatabaseErrors.sqlState(error) == "23505" {
            let constraint = (error as? PSQLError)?.serverInfo?[.constraintName] ?? ""
            throw constraint.contains("code") ? WriteError.codeTaken : WriteError.slugTaken
        }
    }
}
