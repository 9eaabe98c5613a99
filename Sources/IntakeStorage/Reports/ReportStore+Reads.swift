import Foundation
import IntakeCore
import Logging
import PostgresNIO

extension ReportStore {
    public struct Page: Sendable {
        public var reports: [Report]
        public var next: ReportQuery.Cursor?
    }

    /// Newest first, by (created_at, id) so pages never overlap or skip, whatever arrives meanwhile.
    public func list(_ query: ReportQuery) async throws -> Page {
        let logger = self.logger
        let statuses = query.statuses?.map(\.rawValue)
        let box = query.bbox
        return try await database.withConnection { connection in
            // Absent filters are NULL parameters; PostgreSQL plans each call with the actual
            // values, so `NULL IS NULL OR …` folds away. The council is compared by id (found
            // first), not through the join, so that an index on (council_id, …) can give rows
            // already in order.
            let rows: PostgresRowSequence
            if let box, query.councilSlug == nil, query.categoryCode == nil, query.textPattern == nil {
                // A map's listing: only what the box's index carries is asked.
                rows = try await listInBox(query, box, on: connection)
            } else if let statuses {
                // One status at a time, each newest first through the (council_id, status,
                // created_at) index, then merged: `status = ANY(…)` cannot be read from an index
                // in order, and sorting a busy council's every fixed case took 200 ms at national size.
                rows = try await connection.query(
                    """
                    SELECT page.* FROM (SELECT DISTINCT unnest(\(statuses)::text[])) AS wanted(status), LATERAL (
                        SELECT \(unescaped: Self.columns), (extract(epoch FROM r.created_at) * 1000000)::bigint AS created_at_micros
                        FROM reports r
                        JOIN councils c ON c.id = r.council_id
                        JOIN categories cat ON cat.id = r.category_id
                        WHERE r.status = wanted.status
                          AND (\(query.councilSlug)::text IS NULL OR r.council_id = (SELECT id FROM councils WHERE slug = \(query.councilSlug)))
                          AND (\(query.categoryCode)::text IS NULL OR cat.code = \(query.categoryCode))
                          AND (\(box?.minLon)::float8 IS NULL
                               OR r.position <@ box(point(\(box?.minLon), \(box?.minLat)), point(\(box?.maxLon), \(box?.maxLat))))
                          AND (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                          AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                          AND (\(query.textPattern)::text IS NULL OR (r.reference || E'\\n' || r.description) ILIKE \(query.textPattern))
                          AND (\(query.cursor?.createdAtMicros)::bigint IS NULL
                               OR (r.created_at, r.id) < (timestamptz 'epoch' + \(query.cursor?.createdAtMicros) * interval '1 microsecond',
                                                          \(query.cursor?.id)))
                        ORDER BY r.created_at DESC, r.id DESC
                        LIMIT \(query.limit + 1)
                    ) page
                    ORDER BY page.created_at DESC, page.id DESC
                    LIMIT \(query.limit + 1)
                    """,
                    logger: logger
                )
            } else {
                rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.columns), (extract(epoch FROM r.created_at) * 1000000)::bigint AS created_at_micros
                    FROM reports r
                    JOIN councils c ON c.id = r.council_id
                    JOIN categories cat ON cat.id = r.category_id
                    WHERE (\(query.councilSlug)::text IS NULL OR r.council_id = (SELECT id FROM councils WHERE slug = \(query.councilSlug)))
                      AND (\(query.categoryCode)::text IS NULL OR cat.code = \(query.categoryCode))
                      AND (\(box?.minLon)::float8 IS NULL
                           OR r.position <@ box(point(\(box?.minLon), \(box?.minLat)), point(\(box?.maxLon), \(box?.maxLat))))
                      AND (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                      AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                      AND (\(query.textPattern)::text IS NULL OR (r.reference || E'\\n' || r.description) ILIKE \(query.textPattern))
                      AND (\(query.cursor?.createdAtMicros)::bigint IS NULL
                           OR (r.created_at, r.id) < (timestamptz 'epoch' + \(query.cursor?.createdAtMicros) * interval '1 microsecond',
                                                      \(query.cursor?.id)))
                    ORDER BY r.created_at DESC, r.id DESC
                    LIMIT \(query.limit + 1)
                    """,
                    logger: logger
                )
            }
            var reports: [Report] = []
            var positions: [ReportQuery.Cursor] = []
            for row in try await rows.collect(RowWithMicros.self) {
                let report = try Self.report(row.report)
                reports.append(report)
                positions.append(ReportQuery.Cursor(createdAtMicros: row.createdAtMicros, id: report.id))
            }
            guard reports.count > query.limit else { return Page(reports: reports, next: nil) }
            return Page(reports: Array(reports.prefix(query.limit)), next: positions[query.limit - 1])
        }
    }

    /// How many of a council's reports match `query` (its status filter and cursor aside), by
    /// status: the console's counts beside its list.
    public func statusCounts(_ query: ReportQuery) async throws -> [ReportStatus: Int] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT r.status, count(*)::int FROM reports r
                WHERE r.council_id = (SELECT id FROM councils WHERE slug = \(query.councilSlug ?? ""))
                  AND (\(query.categoryCode)::text IS NULL
                       OR r.category_id IN (SELECT id FROM categories WHERE code = \(query.categoryCode)))
                  AND (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                  AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                  AND (\(query.textPattern)::text IS NULL OR (r.reference || E'\\n' || r.description) ILIKE \(query.textPattern))
                GROUP BY r.status
                """,
                logger: logger
            )
            var counts: [ReportStatus: Int] = [:]
            for try await (status, count) in rows.decode((String, Int).self) {
                if let status = ReportStatus(rawValue: status) { counts[status] = count }
            }
            return counts
        }
    }

    /// Open reports of a category within `radius` metres of a point, created in the last `days`
    /// days, nearest first, with their distance.
    public func nearby(
        _ point: LatLon,
        categoryCode: String,
        radiusMetres: Int,
        days: Int,
        limit: Int = 20
    ) async throws
        -> [(Report, Double)]
    {
        let logger = self.logger
        let open = ReportStatus.allCases.filter(\.isOpen).map(\.rawValue)
        // A box around the circle, with room to spare (a degree of latitude is at least 110.5
        // km, one of longitude that times the cosine), finds candidates in the `reports_position`
        // index alone, status and age included; only those are read, and the geography test
        // is exact, in metres.
        let latDegrees = Double(radiusMetres) / 110_000
        let lonDegrees = latDegrees / max(cos(point.lat * .pi / 180), 0.01)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH here AS (SELECT ST_SetSRID(ST_MakePoint(\(point.lon), \(point.lat)), 4326) AS p),
                candidates AS MATERIALIZED (
                    SELECT r.id FROM reports r
                    WHERE r.position <@ box(point(\(point.lon - lonDegrees), \(point.lat - latDegrees)),
                                            point(\(point.lon + lonDegrees), \(point.lat + latDegrees)))
                      AND r.status = ANY(\(open)::text[])
                      AND r.created_at > now() - make_interval(days => \(days)::int)
                )
                SELECT \(unescaped: Self.columns), ST_Distance(r.location::geography, here.p::geography) AS distance
                FROM here, candidates
                JOIN reports r ON r.id = candidates.id
                JOIN councils c ON c.id = r.council_id
                JOIN categories cat ON cat.id = r.category_id
                WHERE cat.code = \(categoryCode)
                  AND ST_DWithin(r.location::geography, here.p::geography, \(Double(radiusMetres)))
                ORDER BY distance, r.id
                LIMIT \(limit)
                """,
                logger: logger
            )
            var found: [(Report, Double)] = []
            for row in try await rows.collect(RowWithDistance.self) {
                found.append((try Self.report(row.report), (row.distance * 10).rounded() / 10))
            }
            return found
        }
    }

    /// `columns` followed by the creation time in microseconds (the page cursor).
    struct RowWithMicros: RowDecodable {
        var report: ReportRow
        var createdAtMicros: Int64

        init(columns: RowColumns) throws {
            report = try ReportRow(columns: columns)
            createdAtMicros = try columns("created_at_micros")
        }
    }

    /// `columns` followed by the distance in metres.
    struct RowWithDistance: RowDecodable {
        var report: ReportRow
        var distance: Double

        init(columns: RowColumns) throws {
            report = try ReportRow(columns: columns)
            distance = try columns("distance")
        }
    }
}
