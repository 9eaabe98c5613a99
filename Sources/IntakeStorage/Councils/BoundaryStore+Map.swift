import Foundation
import IntakeCore
import Logging
import PostgresNIO

extension BoundaryStore {
    /// The council's boundary as an SVG path (`ST_AsSVG`, 5 decimals: about a metre) and its
    /// newest `limit` open cases as points, framed by the boundary (or the points without one).
    public func map(councilID: UUID, openCasesLimit limit: Int) async throws -> CouncilMap {
        let logger = self.logger
        return try await database.withConnection { connection in
            let frame = try await connection.query(
                """
                SELECT COALESCE(ST_AsSVG(boundary, 0, 5), '') AS path,
                    ST_XMin(boundary) AS min_x, -ST_YMax(boundary) AS min_y, ST_XMax(boundary) AS max_x, -ST_YMin(boundary) AS max_y
                FROM councils WHERE id = \(councilID)
                """,
                logger: logger
            )
            guard let row = try await frame.first(FrameRow.self) else { throw NoRowReturned() }
            let rows = try await connection.query(
                """
                SELECT r.id, r.reference, cat.name AS category, ST_X(r.location) AS x, -ST_Y(r.location) AS y
                FROM reports r JOIN categories cat ON cat.id = r.category_id
                WHERE r.council_id = \(councilID) AND r.closed_at IS NULL
                ORDER BY r.created_at DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var points: [CouncilMap.Point] = []
            for point in try await rows.collect(PointRow.self) {
                points.append(CouncilMap.Point(id: point.id, reference: point.reference, category: point.category, x: point.x, y: point.y))
            }
            var (minX, minY, maxX, maxY) = (row.minX, row.minY, row.maxX, row.maxY)
            if minX == nil, let first = points.first {
                (minX, minY, maxX, maxY) = (first.x, first.y, first.x, first.y)
                for point in points {
                    minX = min(minX!, point.x)
                    minY = min(minY!, point.y)
                    maxX = max(maxX!, point.x)
                    maxY = max(maxY!, point.y)
                }
            }
            return CouncilMap(
                boundaryPath: row.path,
                minX: minX ?? -1,
                minY: minY ?? -1,
                maxX: maxX ?? 1,
                maxY: maxY ?? 1,
                points: points
            )
        }
    }

    struct FrameRow: RowDecodable {
        var path: String
        var minX, minY, maxX, maxY: Double?

        init(columns: RowColumns) throws {
            path = try columns("path")
            minX = try columns("min_x")
            minY = try columns("min_y")
            maxX = try columns("max_x")
            maxY = try columns("max_y")
        }
    }

    struct PointRow: RowDecodable {
        var id: UUID
        var reference: String
        var category: String
        var x: Double
        var y: Double

        init(columns: RowColumns) throws {
            id = try columns("id")
            reference = try columns("reference")
            category = try columns("category")
            x = try columns("x")
            y = try columns("y")
        }
    }
}
