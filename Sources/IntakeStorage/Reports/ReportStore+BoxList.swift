import Foundation
import IntakeCore
import PostgresNIO

extension ReportStore {
    /// A map's listing: the newest reports in a box (with any of the status, time and cursor
    /// filters, which the `reports_position` index carries too), reading as little as the box
    /// allows. The first of these that applies gives the page:
    ///
    /// 1. Among the newest `newestLookedAtFirst` reports (within the time and cursor filters)
    ///    are a page's worth in the box, or that was every report: the page is theirs.
    /// 2. The box holds at most `boxMatchesToSort` matches, taken from its index alone (no
    ///    table reads): they are sorted and the page is the newest.
    /// 3. The box is busy: the newest-first index meets a page of them soon enough.
    ///
    /// Each gives the same rows in the same order; only the work differs. A branch whose
    /// condition is false is never run (PostgreSQL evaluates each one-time condition once).
    func listInBox(
        _ query: ReportQuery,
        _ box: ReportQuery.BoundingBox,
        on connection: PostgresConnection
    ) async throws
        -> PostgresRowSequence
    {
        let statuses = query.statuses?.map(\.rawValue)
        let cap = boxMatchesToSort
        let first = newestLookedAtFirst
        let page = query.limit + 1
        let micros = query.cursor?.createdAtMicros
        let after = query.cursor?.id
        return try await connection.query(
            """
            WITH probe AS MATERIALIZED (
                SELECT r.id, r.created_at,
                       r.position <@ box(point(\(box.minLon), \(box.minLat)), point(\(box.maxLon), \(box.maxLat)))
                       AND (\(statuses)::text[] IS NULL OR r.status = ANY(\(statuses)::text[])) AS wanted
                FROM reports r
                WHERE (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                  AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                  AND (\(micros)::bigint IS NULL
                       OR (r.created_at, r.id) < (timestamptz 'epoch' + \(micros) * interval '1 microsecond', \(after)))
                ORDER BY r.created_at DESC, r.id DESC
                LIMIT \(first)
            ), decided AS MATERIALIZED (
                SELECT count(*) FILTER (WHERE wanted) >= \(page) OR count(*) < \(first) AS yes FROM probe
            ), hits AS MATERIALIZED (
                SELECT r.created_at, r.id FROM reports r
                WHERE r.position <@ box(point(\(box.minLon), \(box.minLat)), point(\(box.maxLon), \(box.maxLat)))
                  AND (\(statuses)::text[] IS NULL OR r.status = ANY(\(statuses)::text[]))
                  AND (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                  AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                  AND (\(micros)::bigint IS NULL
                       OR (r.created_at, r.id) < (timestamptz 'epoch' + \(micros) * interval '1 microsecond', \(after)))
                LIMIT \(cap + 1)
            ), few AS MATERIALIZED (
                SELECT count(*) <= \(cap) AS yes FROM hits
            ), picked AS (
                (SELECT p.id FROM probe p WHERE (SELECT yes FROM decided) AND p.wanted
                 ORDER BY p.created_at DESC, p.id DESC LIMIT \(page))
                UNION ALL
                (SELECT h.id FROM hits h WHERE NOT (SELECT yes FROM decided) AND (SELECT yes FROM few)
                 ORDER BY h.created_at DESC, h.id DESC LIMIT \(page))
                UNION ALL
                -- The box test is wrapped so that it is a filter on the newest-first scan, not a
                -- reason to plan the box's index (and a sort of everything in it) again.
                (SELECT r.id FROM reports r
                 WHERE NOT (SELECT yes FROM decided) AND NOT (SELECT yes FROM few)
                   AND (r.position <@ box(point(\(box.minLon), \(box.minLat)), point(\(box.maxLon), \(box.maxLat)))) IS TRUE
                   AND (\(statuses)::text[] IS NULL OR r.status = ANY(\(statuses)::text[]))
                   AND (\(query.since)::timestamptz IS NULL OR r.created_at >= \(query.since))
                   AND (\(query.until)::timestamptz IS NULL OR r.created_at < \(query.until))
                   AND (\(micros)::bigint IS NULL
                        OR (r.created_at, r.id) < (timestamptz 'epoch' + \(micros) * interval '1 microsecond', \(after)))
                 ORDER BY r.created_at DESC, r.id DESC LIMIT \(page))
            )
            SELECT \(unescaped: Self.columns), (extract(epoch FROM r.created_at) * 1000000)::bigint AS created_at_micros
            FROM picked
            JOIN reports r ON r.id = picked.id
            JOIN councils c ON c.id = r.council_id
            JOIN categories cat ON cat.id = r.category_id
            ORDER BY r.created_at DESC, r.id DESC
            """,
            logger: logger
        )
    }
}
