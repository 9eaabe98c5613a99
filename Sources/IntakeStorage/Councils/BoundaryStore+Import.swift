import Foundation
import IntakeCore
import Logging
import PostgresNIO

extension BoundaryStore {
    /// What importing one council's boundary did.
    public enum Imported: Sendable, Equatable {
        case created(slug: String)
        case updated(slug: String)
    }

    /// Another council already has the slug.
    public struct SlugTaken: Error, Equatable {}

    /// Checks a boundary and, in one transaction, replaces the boundary of the council with this
    /// code (or, without a code, this slug) or creates a council of `tier` with it. Throws
    /// `Invalid` with PostGIS's reason, or `SlugTaken`.
    public func importBoundary(
        name: String,
        slug: String,
        code: String?,
        tier: Council.Tier,
        geometryJSON: String
    ) async throws -> (Imported, Checked) {
        let logger = self.logger
        do {
            return try await database.withTransaction { connection in
                let checked = try await Self.check(geometryJSON, on: connection, logger: logger)
                let rows = try await connection.query(
                    """
                    SELECT id, slug FROM councils
                    WHERE (\(code)::text IS NOT NULL AND code = \(code))
                       OR (\(code)::text IS NULL AND slug = \(slug))
                    """,
                    logger: logger
                )
                var existing: (UUID, String)?
                for try await row in rows.decode((UUID, String).self) { existing = row }
                if let (id, existingSlug) = existing {
                    try await Self.setBoundary(of: id, to: geometryJSON, on: connection, logger: logger)
                    return (.updated(slug: existingSlug), checked)
                }
                _ = try await connection.query(
                    """
                    INSERT INTO councils (slug, name, tier, code, boundary)
                    VALUES (\(slug), \(name), \(tier.rawValue), \(code),
                            ST_Multi(ST_ForcePolygonCCW(ST_SetSRID(ST_GeomFromGeoJSON(\(geometryJSON)), 4326))))
                    """,
                    logger: logger
                )
                return (.created(slug: slug), checked)
            }
        } catch let error where DatabaseErrors.sqlState(error) == "23505" {
            throw SlugTaken()
        }
    }
}
