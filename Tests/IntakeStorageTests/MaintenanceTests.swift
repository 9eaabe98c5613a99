import Foundation
import IntakeCore
import IntakeServices
import IntakeStorage
import IntakeTestSupport
import PostgresNIO
import Testing

@Suite struct MaintenanceTests {
    @Test func contactDetailsGoAfterTheRetentionPeriodAndOldKeysAreForgotten() async throws {
        try await withTestDatabase { testDB in
            try await testDB.execute(
                "INSERT INTO councils (slug, name, tier, boundary) VALUES ('west', 'West', 'district', ST_Multi(ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))', 4326)))"
            )
            try await testDB.execute("INSERT INTO categories (council_id, code, name) SELECT id, 'graffiti', 'Graffiti' FROM councils")
            for (reference, closed) in [
                ("GR-000001", "now() - interval '400 days'"), ("GR-000002", "now() - interval '10 days'"), ("GR-000003", "NULL"),
            ] {
                try await testDB.execute(
                    """
                    INSERT INTO reports (reference, council_id, category_id, location, description, reporter_name,
                        reporter_email, tracking_token_hash, status, closed_at)
                    SELECT '\(reference)', c.id, cat.id, ST_SetSRID(ST_MakePoint(0.5, 0.5), 4326), 'Tag on wall', 'Ann',
                        'ann@example.org', '\\x00', CASE WHEN \(closed) IS NULL THEN 'open' ELSE 'fixed' END, \(closed)
                    FROM councils c JOIN categories cat ON cat.council_id = c.id
                    """
                )
            }
            try await testDB.execute(
                """
                INSERT INTO api_keys (prefix, secret_hash, role) VALUES ('0000000001', '\\x00', 'client');
                """
            )
            try await testDB.execute(
                """
                INSERT INTO idempotency_keys (client_key_id, key, operation, request_hash, locked_until, created_at)
                SELECT id, k, 'op', '\\x00', now(), now() - (h || ' hours')::interval
                FROM api_keys, (VALUES ('old', 49), ('new', 1)) AS v(k, h)
                """
            )
            try await testDB.withDatabase { database in
                let maintenance = Maintenance(
                    reports: ReportStore(database: database, logger: .quiet),
                    idempotency: IdempotencyStore(database: database, logger: .quiet),
                    media: MediaStore(database: database, logger: .quiet),
                    contactRetentionDays: 365,
                    interval: .seconds(3600),
                    logger: .quiet
                )
                #expect(try await maintenance.runIfDue() == 2)
                #expect(try await maintenance.runIfDue() == 0, "not due again within the interval")

                let rows = try await database.withConnection { connection in
                    let rows = try await connection.query(
                        "SELECT reference, reporter_email IS NULL, contact_erased_at IS NOT NULL, description FROM reports ORDER BY reference",
                        logger: .quiet
                    )
                    var result: [(String, Bool, Bool, String)] = []
                    for try await row in rows.decode((String, Bool, Bool, String).self) { result.append(row) }
                    return result
                }
                #expect(rows.map(\.0) == ["GR-000001", "GR-000002", "GR-000003"])
                #expect(rows.map(\.1) == [true, false, false])
                #expect(rows.map(\.2) == [true, false, false])
                #expect(rows.allSatisfy { $0.3 == "Tag on wall" }, "the public record stays")
                let keys = try await database.withConnection { connection in
                    let rows = try await connection.query("SELECT key FROM idempotency_keys", logger: .quiet)
                    var keys: [String] = []
                    for try await key in rows.decode(String.self) { keys.append(key) }
                    return keys
                }
                #expect(keys == ["new"])
            }
        }
    }
}

@Suite struct RetentionOfAnswersTests {
    /// The retention sweep erases a closed report's contact details and the sealed answer of its
    /// creation with them; other reports' records stay.
    @Test func theSweepRemovesTheIdempotencyRecordOfAnErasedReport() async throws {
        try await withTestDatabase { testDB in
            try await testDB.execute(
                "INSERT INTO councils (slug, name, tier, boundary) VALUES ('west', 'West', 'district', ST_Multi(ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))', 4326)))"
            )
            try await testDB.execute("INSERT INTO categories (council_id, code, name) SELECT id, 'graffiti', 'Graffiti' FROM councils")
            try await testDB.execute("INSERT INTO api_keys (prefix, secret_hash, role) VALUES ('0000000001', '\\x00', 'client')")
            for (reference, closed) in [("GR-000001", "now() - interval '400 days'"), ("GR-000002", "NULL")] {
                try await testDB.execute(
                    """
                    WITH r AS (
                        INSERT INTO reports (reference, council_id, category_id, location, description, reporter_email,
                            tracking_token_hash, status, closed_at)
                        SELECT '\(reference)', c.id, cat.id, ST_SetSRID(ST_MakePoint(0.5, 0.5), 4326), 'Tag', 'ann@example.org',
                            '\\x00', CASE WHEN \(closed) IS NULL THEN 'open' ELSE 'fixed' END, \(closed)
                        FROM councils c JOIN categories cat ON cat.council_id = c.id
                        RETURNING id
                    )
                    INSERT INTO idempotency_keys (client_key_id, key, operation, request_hash, locked_until, report_id, sealed,
                        response_status, response_body)
                    SELECT k.id, '\(reference)', 'POST /v1/reports', '\\x00', now(), r.id, true, 201, '\\x01'
                    FROM api_keys k, r
                    """
                )
            }
            try await testDB.withDatabase { database in
                #expect(try await ReportStore(database: database, logger: .quiet).eraseExpiredContacts(afterDays: 365) == 1)
                let keys = try await DispatchFixtures.scalar(database, "SELECT string_agg(key, ',') FROM idempotency_keys", as: String.self)
                #expect(keys == "GR-000002")
            }
        }
    }
}
