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

    public struct ServicesAtPoint: Sendable {
        /// Every council whose boundary covers the point, most local first.
        public var councils: [CouncilRef]
        /// One category per code: the one of the council responsible for it here.
        public var services: [Category]
    }

    public func services(at point: LatLon) async throws -> ServicesAtPoint {
        let logger = self.logger
        return try await database.withConnection { connection in
            let councils = try await Self.councilsCovering(point, on: connection, logger: logger)
            guard !councils.isEmpty else { return ServicesAtPoint(councils: [], services: []) }
            return ServicesAtPoint(
                councils: councils, services: try await Self.categories(for: councils, on: connection, logger: logger))
        }
    }

    /// The active categories of these councils, one per code: that of the first council (in
    /// the given priority order) that has it.
    static func categories(for councils: [CouncilRef], on connection: PostgresConnection, logger: Logger) async throws
        -> [Category]
    {
        let ids = councils.map(\.id)
        let rows = try await connection.query(
            """
            SELECT \(unescaped: CategoryStore.columns) FROM (
                SELECT DISTINCT ON (cat.code) cat.*
                FROM categories cat
                JOIN unnest(\(ids)::uuid[]) WITH ORDINALITY AS here(id, priority) ON here.id = cat.council_id
                WHERE cat.retired_at IS NULL
                ORDER BY cat.code, here.priority
            ) cat JOIN councils c ON c.id = cat.council_id
            ORDER BY cat.code
            """, logger: logger)
        return try await CategoryStore.decode(rows)
    }

    /// The councils whose boundary covers the point, in routing priority. Uses the GiST index on
    /// `councils.boundary` (`ST_Covers` implies a bounding-box test first).
    static func councilsCovering(_ point: LatLon, on connection: PostgresConnection, logger: Logger) async throws
        -> [CouncilRef]
    {
        let rows = try await connection.query(
            """
            SELECT c.id, c.slug, c.name, c.tier
            FROM councils c
            WHERE ST_Covers(c.boundary, ST_SetSRID(ST_MakePoint(\(point.lon), \(point.lat)), 4326))
            ORDER BY CASE c.tier WHEN 'parish' THEN 0 WHEN 'county' THEN 2 ELSE 1 END, ST_Area(c.boundary), c.slug
            """, logger: logger)
        var councils: [CouncilRef] = []
        for try await (id, slug, name, tier) in rows.decode((UUID, String, String, String).self) {
            councils.append(CouncilRef(id: id, slug: slug, name: name, tier: Council.Tier(rawValue: tier) ?? .unitary))
        }
        return councils
    }
}
