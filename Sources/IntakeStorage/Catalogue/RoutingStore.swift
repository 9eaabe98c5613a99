import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Which councils cover a point, and which of them handles each category there.
///
/// The boundary test is `ST_Covers`, so a point exactly on a boundary belongs to every council
/// that shares that edge; the tie is then broken the same way every time: the most local tier
/// (parish, then district-level, then county), then the smaller area, then the slug.
public struct RoutingStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The councils whose boundary covers the point, in routing priority. Uses the GiST index on
    /// `councils.boundary` (`ST_Covers` implies a bounding-box test first). Prepared: it runs for
    /// every report and every services lookup.
    public func councilsCovering(_ point: LatLon) async throws -> [CouncilRef] {
        let logger = self.logger
        return try await database.withConnection { connection in
            var councils: [CouncilRef] = []
            for try await row in try await connection.execute(CoveringStatement(lon: point.lon, lat: point.lat), logger: logger) {
                councils.append(CouncilRef(id: row.id, slug: row.slug, name: row.name, tier: Council.Tier(rawValue: row.tier) ?? .unitary))
            }
            return councils
        }
    }

    struct CoveringStatement: PostgresPreparedStatement {
        static let sql = """
            SELECT c.id, c.slug, c.name, c.tier
            FROM councils c
            WHERE ST_Covers(c.boundary, ST_SetSRID(ST_MakePoint($1, $2), 4326))
            ORDER BY CASE c.tier WHEN 'parish' THEN 0 WHEN 'county' THEN 2 ELSE 1 END, ST_Area(c.boundary), c.slug
            """
        typealias Row = CoveringRow
        var lon: Double
        var lat: Double

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(lon)
            bindings.append(lat)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    struct CoveringRow: RowDecodable {
        var id: UUID
        var slug: String
        var name: String
        var tier: String

        init(columns: RowColumns) throws {
            id = try columns("id")
            slug = try columns("slug")
            name = try columns("name")
            tier = try columns("tier")
        }
    }

    /// The active categories of each of these councils (every council asked for has an entry,
    /// empty if it has none), sorted by code.
    public func activeCategories(councilIDs: [UUID]) async throws -> [UUID: [Category]] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: CategoryStore.columns) FROM categories cat JOIN councils c ON c.id = cat.council_id
                WHERE cat.council_id = ANY(\(councilIDs)::uuid[]) AND cat.retired_at IS NULL
                ORDER BY cat.code COLLATE "C"
                """,
                logger: logger
            )
            var found = Dictionary(uniqueKeysWithValues: councilIDs.map { ($0, [Category]()) })
            for category in try await CategoryStore.decode(rows) { found[category.council.id, default: []].append(category) }
            return found
        }
    }
}
