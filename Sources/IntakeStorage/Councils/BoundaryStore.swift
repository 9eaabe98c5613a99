import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Checks and stores council boundaries with PostGIS.
///
/// A boundary must be a non-empty, valid Polygon or MultiPolygon. Rings wound against the
/// GeoJSON convention (RFC 7946: exterior counter-clockwise) are rewound and reported as a
/// warning, since publishers differ; anything else wrong is refused with PostGIS's reason.
public struct BoundaryStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Checked: Sendable, Equatable {
        public var vertices: Int
        public var warnings: [String]
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Checks a GeoJSON geometry (the text of its JSON object) and, if it is good, makes it the
    /// council's boundary. Nothing is written when it is refused.
    public func replace(councilID: UUID, geometryJSON: String) async throws -> Checked {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let checked = try await Self.check(geometryJSON, on: connection, logger: logger)
            _ = try await connection.query(
                """
                UPDATE councils
                SET boundary = ST_Multi(ST_ForcePolygonCCW(ST_SetSRID(ST_GeomFromGeoJSON(\(geometryJSON)), 4326))),
                    updated_at = now()
                WHERE id = \(councilID)
                """, logger: logger)
            return checked
        }
    }

    /// Validity checks on a geometry, in one round trip.
    static func check(_ geometryJSON: String, on connection: PostgresConnection, logger: Logger) async throws -> Checked {
        let rows: PostgresRowSequence
        do {
            rows = try await connection.query(
                """
                WITH g AS (SELECT ST_GeomFromGeoJSON(\(geometryJSON)) AS geom)
                SELECT GeometryType(geom), ST_IsEmpty(geom), ST_IsValid(geom), ST_IsValidReason(geom),
                       ST_NPoints(geom), ST_IsPolygonCCW(geom), ST_SRID(geom),
                       COALESCE(ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180
                                AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90, true)
                FROM g
                """, logger: logger)
        } catch where DatabaseErrors.sqlState(error) == "XX000" || DatabaseErrors.sqlState(error) == "22023" {
            // PostGIS could not parse it at all.
            throw Invalid(reason: "not a GeoJSON geometry: \(DatabaseErrors.summary(error))")
        }
        for try await (type, empty, valid, reason, points, ccw, srid, inRange) in rows.decode(
            (String, Bool, Bool, String, Int, Bool, Int, Bool).self)
        {
            guard type == "POLYGON" || type == "MULTIPOLYGON" else {
                throw Invalid(reason: "a boundary must be a Polygon or MultiPolygon, not \(type.capitalized)")
            }
            if empty { throw Invalid(reason: "the geometry is empty") }
            if !valid { throw Invalid(reason: "the geometry is not valid: \(reason)") }
            if !inRange {
                throw Invalid(
                    reason: "coordinates are outside longitude/latitude ranges (projected, e.g. British National Grid?); send WGS84")
            }
            if srid != 0 && srid != 4326 {
                throw Invalid(reason: "coordinates must be WGS84 longitude/latitude (EPSG:4326), not EPSG:\(srid)")
            }
            var warnings: [String] = []
            if !ccw { warnings.append("rings were wound clockwise; rewound to the GeoJSON convention") }
            return Checked(vertices: points, warnings: warnings)
        }
        throw Invalid(reason: "the geometry could not be read")
    }
}
