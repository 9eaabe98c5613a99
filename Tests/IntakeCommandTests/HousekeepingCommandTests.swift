import Foundation
import IntakeTestSupport
import Testing

/// `intake housekeeping`: the worker's housekeeping on demand, batch after batch until a pass
/// finds nothing, so a backlog larger than one batch is cleared in one run.
@Suite struct HousekeepingCommandTests {
    @Test func aBacklogLargerThanOneBatchIsClearedBatchByBatch() async throws {
        try await withTestDatabase { testDB in
            let env = ["DATABASE_URL": testDB.settings.url, "LOG_LEVEL": "warning"]
            #expect(try await IntakeProcess.run(["seed-demo"], environment: env).status == 0)
            let report = try await testDB.withDatabase { database in try await DispatchFixtures.report(database) }
            // 1,500 reports closed 400 days ago with their reporters' details (erasure takes
            // 250 a batch), and a job delivered two days ago (pruned after a day).
            let statements = [
                """
                INSERT INTO reports (reference, council_id, category_id, status, location, description, reporter_name,
                                     reporter_email, tracking_token_hash, created_at, closed_at)
                SELECT 'OLD-' || g, council_id, category_id, 'fixed', location, description, 'Septimus Harding',
                       'harding' || g || '@example.org', tracking_token_hash, now() - interval '410 days', now() - interval '400 days'
                FROM reports, generate_series(1, 1500) g WHERE id = '\(report)'
                """,
                "UPDATE dispatch_jobs SET state = 'done', finished_at = now() - interval '2 days' WHERE report_id = '\(report)'",
            ]
            func count(_ query: String) async throws -> Int {
                try await testDB.withDatabase { database in try await DispatchFixtures.scalar(database, query, as: Int.self) ?? -1 }
            }
            try await testDB.withDatabase { database in
                try await database.withConnection { connection in
                    for statement in statements { _ = try await connection.query(.init(unsafeSQL: statement), logger: .quiet) }
                }
            }
            #expect(try await count("SELECT count(*)::int FROM reports WHERE reporter_email IS NOT NULL AND closed_at IS NOT NULL") == 1500)

            let first = try await IntakeProcess.run(["housekeeping"], environment: env)
            #expect(first.status == 0, "\(first.stderr)")
            // Six full batches of erasures (and the job), then a pass with nothing ends it.
            #expect(first.stdout.contains("housekeeping: 1501 rows changed in 7 passes"), "\(first.stdout)")
            #expect(try await count("SELECT count(*)::int FROM reports WHERE reporter_email IS NOT NULL AND closed_at IS NOT NULL") == 0)
            #expect(try await count("SELECT count(*)::int FROM reports WHERE contact_erased_at IS NOT NULL") == 1500)
            #expect(try await count("SELECT count(*)::int FROM dispatch_jobs WHERE report_id = '\(report)'") == 0)
            // The open report keeps its reporter.
            #expect(try await count("SELECT count(*)::int FROM reports WHERE id = '\(report)' AND reporter_email IS NOT NULL") == 1)

            let again = try await IntakeProcess.run(["housekeeping", "--max-passes", "5"], environment: env)
            #expect(again.stdout.contains("housekeeping: 0 rows changed in 1 passes"), "\(again.stdout)")
            #expect(again.status == 0)
            // Stopped with work left: said, and a distinct exit code.
            try await testDB.withDatabase { database in
                try await database.withConnection { connection in
                    _ = try await connection.query(
                        .init(unsafeSQL: statements[0].replacingOccurrences(of: "'OLD-'", with: "'AGAIN-'")),
                        logger: .quiet
                    )
                }
            }
            let cut = try await IntakeProcess.run(["housekeeping", "--max-passes", "1"], environment: env)
            #expect(cut.status == 75)
            #expect(cut.stdout.contains("housekeeping: 250 rows changed in 1 passes; work is left"), "\(cut.stdout)")
            let refused = try await IntakeProcess.run(["housekeeping", "--max-passes", "0"], environment: env)
            #expect(refused.status != 0)
        }
    }
}
