import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import PostgresNIO
import Testing

/// A map's box listing takes one of three ways (the newest reports looked at first, the box's
/// matches sorted, or newest first keeping those inside) by where the matches are; whichever it
/// takes, a client walking the pages sees the same reports in the same order as a plain reading
/// of the table gives.
@Suite struct BoxListTests {
    /// 600 reports on a 0.01° grid over (-2.5…-2.26, 51.5…51.74), some sharing a creation time
    /// (the id breaks the tie), a mix of statuses, a few on the edges of the boxes asked for.
    static func seed(_ testDB: TestDatabase) async throws {
        for statement in [
            """
            INSERT INTO councils (slug, name, tier, boundary) VALUES
              ('grid', 'Grid', 'district', ST_Multi(ST_MakeEnvelope(-3, 51, -2, 52, 4326)))
            """,
            "INSERT INTO categories (council_id, code, name) SELECT id, 'fly_tipping', 'Fly-tipping' FROM councils",
            """
            INSERT INTO reports (reference, council_id, category_id, status, location, description, tracking_token_hash, created_at)
            SELECT 'G' || g, c.id, cat.id, (ARRAY['open', 'fixed', 'in_progress'])[1 + g % 3],
                   ST_SetSRID(ST_MakePoint(-2.5 + 0.01 * (g % 25), 51.5 + 0.01 * (g / 25)), 4326), 'Case ' || g,
                   sha256(g::text::bytea), timestamptz '2026-01-01' + interval '1 minute' * (g / 2)
            FROM generate_series(0, 599) g, councils c JOIN categories cat ON cat.council_id = c.id
            """,
        ] {
            try await testDB.execute(statement)
        }
    }

    /// Every page of `query`, walked with the cursor, as ids.
    static func walk(_ store: ReportStore, _ query: ReportQuery) async throws -> [UUID] {
        var query = query
        var seen: [UUID] = []
        for _ in 0..<100 {
            let page = try await store.list(query)
            seen += page.reports.map(\.id)
            guard let next = page.next else { return seen }
            query.cursor = next
        }
        Issue.record("more than 100 pages")
        return seen
    }

    @Test(arguments: [
        // A box of about 60 matches, its edges on grid lines (edges are inside), several pages
        // of 7 however it is filtered.
        ("-2.45,51.55,-2.36,51.6", nil as String?, nil as String?, 50),
        ("-2.45,51.55,-2.36,51.6", "open,in_progress", nil, 30),
        ("-2.45,51.55,-2.36,51.6", nil, "2026-01-01T01:00:00Z", 20),
        // The whole grid, and a box between grid lines with nothing in it.
        ("-3,51,-2,52", "fixed", nil, 200),
        ("-2.455,51.555,-2.451,51.559", nil, nil, 0),
    ])
    func bothPlansGiveEveryPageAsTheTableDoes(bbox: String, status: String?, since: String?, atLeast: Int) async throws {
        try await withTestDatabase { testDB in
            try await Self.seed(testDB)
            try await testDB.withDatabase(poolSize: 2) { database in
                let numbers = bbox.split(separator: ",").compactMap { Double($0) }
                let query = try ReportQuery.parse(
                    council: nil,
                    category: nil,
                    status: status,
                    bbox: numbers,
                    since: since,
                    until: nil,
                    limit: 7,
                    cursor: nil
                )
                // What the table says, read without any index.
                let statuses = status.map { "'{\($0)}'" } ?? "NULL"
                let expected = try await DispatchFixtures.scalar(
                    database,
                    """
                    SELECT COALESCE(array_agg(id ORDER BY created_at DESC, id DESC), '{}') FROM reports
                    WHERE ST_X(location) BETWEEN \(numbers[0]) AND \(numbers[2]) AND ST_Y(location) BETWEEN \(numbers[1]) AND \(numbers[3])
                      AND (\(statuses)::text[] IS NULL OR status = ANY(\(statuses)::text[]))
                      AND created_at >= \(since.map { "'\($0)'" } ?? "'-infinity'")::timestamptz
                    """,
                    as: [UUID].self
                )
                #expect((expected?.count ?? 0) >= atLeast)
                // Newest looked at first, and matches sorted at most: each way through the
                // plan (and mixes of them from page to page) walks to the same list.
                for (first, cap) in [(1_000, 1_000), (10, 1_000), (10, 3), (100, 3)] {
                    var store = ReportStore(database: database, logger: .quiet)
                    store.newestLookedAtFirst = first
                    store.boxMatchesToSort = cap
                    let walked = try await Self.walk(store, query)
                    #expect(walked == expected, "looking at \(first) first, sorting at most \(cap)")
                }
            }
        }
    }

    /// The nearby search's box is wide enough in longitude wherever the point is: in Shetland a
    /// degree of longitude is under 55 km, and a report 248 m due east is still within 250 m.
    @Test func nearbyReachesTheWholeRadiusInTheFarNorth() async throws {
        try await withTestDatabase { testDB in
            for statement in [
                """
                INSERT INTO councils (slug, name, tier, boundary) VALUES
                  ('shetland', 'Shetland', 'district', ST_Multi(ST_MakeEnvelope(-2, 59.5, 0, 61, 4326)))
                """,
                "INSERT INTO categories (council_id, code, name) SELECT id, 'fly_tipping', 'Fly-tipping' FROM councils",
                """
                INSERT INTO reports (reference, council_id, category_id, status, location, description, tracking_token_hash)
                SELECT 'N' || metres, c.id, cat.id, 'open',
                       ST_Project(ST_SetSRID(ST_MakePoint(-1.2, 60.8), 4326)::geography, metres, radians(90))::geometry,
                       'East ' || metres, sha256(metres::text::bytea)
                FROM unnest(ARRAY[10, 248, 260]) metres, councils c JOIN categories cat ON cat.council_id = c.id
                """,
            ] {
                try await testDB.execute(statement)
            }
            try await testDB.withDatabase(poolSize: 2) { database in
                let store = ReportStore(database: database, logger: .quiet)
                let found = try await store.nearby(
                    LatLon(lat: 60.8, lon: -1.2),
                    categoryCode: "fly_tipping",
                    radiusMetres: 250,
                    days: 60
                )
                #expect(found.map(\.0.description) == ["East 10", "East 248"])
                #expect(found.map { Int($0.1.rounded()) } == [10, 248])
            }
        }
    }
}
