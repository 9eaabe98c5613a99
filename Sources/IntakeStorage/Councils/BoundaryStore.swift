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
            try await Self.setBoundary(of: councilID, to: geometryJSON, on: connection, logger: logger)
            return checked
        }
    }

    /// Writes a checked geometry as the council's boundary: a MultiPolygon, exterior rings
    /// counter-clockwise (RFC 7946), in WGS 84.
    static func setBoundary(
        of councilID: UUID,
        to geometryJSON: String,
        on connection: PostgresConnection,
        logger: Logger
    )
        async throws
    {
        _ = try await connection.query(
            """
            UPDATE councils
            SET boundary = ST_Multi(ST_ForcePolygonCCW(ST_SetSRID(ST_GeomFromGeoJSON(\(geometryJSON)), 4326))),
                updated_at = now()
            WHERE id = \(councilID)
            """,
            logger: logger
        )
    }

    /// Validity checks on a geometry, in one round trip.
    static func check(_ geometryJSON: String, on connection: PostgresConnection, logger: Logger) async throws -> Checked {
        let rows: PostgresRowSequence
        do {
            rows = try await connection.query(
                """
                WITH g AS (SELECT ST_GeomFromGeoJSON(\(geometryJSON)) AS geom)
                SELECT GeometryType(geom) AS type, ST_IsEmpty(geom) AS empty, ST_IsValid(geom) AS valid,
                       ST_IsValidReason(geom) AS reason, ST_NPoints(geom) AS points, ST_IsPolygonCCW(geom) AS ccw,
                       ST_SRID(geom) AS srid,
                       COALESCE(ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180
                                AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90, true) AS in_range
                FROM g
                """,
                logger: logger
            )
        } catch  where DatabaseErrors.sqlState(error) == "XX000" || DatabaseErrors.sqlState(error) == "22023" {
            // PostGIS could not parse it at all.
            throw Invalid(reason: "not a GeoJSON geometry: \(DatabaseErrors.summary(error))")
        }
        guard let row = try await rows.first(CheckRow.self) else { throw Invalid(reason: "the geometry could not be read") }
        guard row.type == "POLYGON" || row.type == "MULTIPOLYGON" else {
            throw Invalid(reason: "a boundary must be a Polygon or MultiPolygon, not \(row.type.capitalized)")
        }
        if row.empty { throw Invalid(reason: "the geometry is empty") }
        if !row.valid { throw Invalid(reason: "the geometry is not valid: \(row.reason)") }
        if !row.inRange {
            throw Invalid(
                reason: "coordinates are outside longitude/latitude ranges (projected, e.g. British National Grid?); send WGS84"
            )
        }
        if row.srid != 0 && row.srid != 4326 {
            throw Invalid(reason: "coordinates must be WGS84 longitude/latitude (EPSG:4326), not EPSG:\(row.srid)")
        }
        var warnings: [String] = []
        if !row.ccw { warnings.append("rings were wound clockwise; rewound to the GeoJSON convention") }
        return Checked(vertices: row.points, warnings: warnings)
    }

    struct CheckRow: RowDecodable {
        var type: String
        var empty: Bool
        var valid: Bool
        var reason: String
        var points: Int
        var ccw: Bool
        var srid: Int
        var inRange: Bool

        init(columns: RowColumns) throws {
            type = try columns("type")
            empty = try columns("empty")
            valid = try columns("valid")
            reason = try columns("reason")
            points = try columns("points")
            ccw = try columns("ccw")
            srid = try columns("srid")
            inRange = try columns("in_range")
        }
    }
}
