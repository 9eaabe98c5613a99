import IntakeTestSupport

/// Councils and categories written straight to the test database, for tests about reading them.
enum Fixtures {
    static func council(_ testDB: TestDatabase, _ slug: String, tier: String, wkt: String?) async throws {
        let boundary = wkt.map { "ST_Multi(ST_GeomFromText('\($0)', 4326))" } ?? "NULL"
        try await testDB.execute(
            "INSERT INTO councils (slug, name, tier, boundary) VALUES ('\(slug)', '\(slug.capitalized) Council', '\(tier)', \(boundary))"
        )
    }

    static func category(_ testDB: TestDatabase, council: String, code: String, retired: Bool = false) async throws {
        try await testDB.execute(
            """
            INSERT INTO categories (council_id, code, name, retired_at)
            SELECT id, '\(code)', '\(code.replacingOccurrences(of: "_", with: " ").capitalized)', \(retired ? "now()" : "NULL")
            FROM councils WHERE slug = '\(council)'
            """
        )
    }

    /// A two-tier county split into two districts along lon 5, a council with a hole, and a
    /// council of two islands.
    static func map(_ testDB: TestDatabase) async throws {
        try await council(testDB, "shire", tier: "county", wkt: "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))")
        try await council(testDB, "west", tier: "district", wkt: "POLYGON((0 0, 5 0, 5 10, 0 10, 0 0))")
        try await council(testDB, "east", tier: "district", wkt: "POLYGON((5 0, 10 0, 10 10, 5 10, 5 0))")
        try await council(
            testDB,
            "ring",
            tier: "unitary",
            wkt: "POLYGON((20 0, 30 0, 30 10, 20 10, 20 0), (24 4, 26 4, 26 6, 24 6, 24 4))"
        )
        try await council(
            testDB,
            "isles",
            tier: "unitary",
            wkt: "MULTIPOLYGON(((40 0, 42 0, 42 2, 40 2, 40 0)), ((45 0, 47 0, 47 2, 45 2, 45 0)))"
        )
        try await category(testDB, council: "shire", code: "pothole")
        try await category(testDB, council: "shire", code: "fly_tipping_county", retired: true)
        try await category(testDB, council: "west", code: "fly_tipping")
        try await category(testDB, council: "east", code: "fly_tipping")
        try await category(testDB, council: "west", code: "graffiti", retired: true)
        try await category(testDB, council: "ring", code: "fly_tipping")
        try await category(testDB, council: "ring", code: "pothole")
        try await category(testDB, council: "isles", code: "graffiti")
    }
}
