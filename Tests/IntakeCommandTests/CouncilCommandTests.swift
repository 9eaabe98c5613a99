import Foundation
import IntakeTestSupport
import Testing

@Suite struct CouncilCommandTests {
    @Test func seedDemoIsIdempotentAndPrintsAKeyPerCouncil() async throws {
        try await withTestDatabase { testDB in
            let env = ["DATABASE_URL": testDB.settings.url, "LOG_LEVEL": "warning"]
            let first = try await IntakeProcess.run(["seed-demo"], environment: env)
            let second = try await IntakeProcess.run(["seed-demo"], environment: env)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(second.status == 0, "\(second.stderr)")
            #expect(first.stdout == second.stdout, "the same demo keys every time")
            let lines = first.stdout.split(separator: "\n")
            #expect(lines.contains { $0.hasPrefix("client key: ci_") })
            for slug in ["barsetshire", "barchester", "plumstead", "silverbridge"] {
                #expect(lines.contains { $0.hasPrefix("backoffice key for \(slug): ci_") }, "\(slug)")
            }
            let counts = try await testDB.withDatabase { database in
                try await database.withConnection { connection in
                    let rows = try await connection.query(
                        "SELECT (SELECT count(*) FROM councils), (SELECT count(*) FROM categories), (SELECT count(*) FROM api_keys)",
                        logger: .quiet
                    )
                    for try await row in rows.decode((Int, Int, Int).self) { return [row.0, row.1, row.2] }
                    return []
                }
            }
            #expect(counts == [4, 13, 5])
        }
    }

    @Test func importReportsEachFeatureAndExitsNonZeroWhenOneFails() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("boundaries-\(UUID().uuidString).geojson")
        try """
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"NAME": "Alpha", "CODE": "E07000001"},
           "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
          {"type": "Feature", "properties": {"NAME": "Bowtie", "CODE": "E07000002"},
           "geometry": {"type": "Polygon", "coordinates": [[[0,0],[2,2],[2,0],[0,2],[0,0]]]}}
        ]}
        """.write(to: file, atomically: true, encoding: .utf8)
        try await withTestDatabase { testDB in
            let env = ["DATABASE_URL": testDB.settings.url, "LOG_LEVEL": "warning"]
            let result = try await IntakeProcess.run(
                ["councils", "import", file.path, "--name-property", "NAME", "--code-property", "CODE", "--tier", "unitary"],
                environment: env
            )
            #expect(result.status == 65)
            #expect(result.stdout.contains("feature 1 (Alpha): created alpha, 5 vertices"))
            #expect(result.stdout.contains("feature 2 (Bowtie): skipped: the geometry is not valid: Self-intersection"))
            #expect(result.stdout.contains("1 of 2 features imported"))

            let again = try await IntakeProcess.run(
                ["councils", "import", file.path, "--name-property", "NAME", "--code-property", "CODE"],
                environment: env
            )
            #expect(again.stdout.contains("feature 1 (Alpha): updated alpha"))
        }
    }
}
