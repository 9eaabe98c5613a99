import Foundation
import IntakeStorage
import IntakeTestSupport
import PostgresNIO
import Testing

@Suite struct MigratorTests {
    @Test func migratesFromZeroAndEnablesPostGIS() async throws {
        try await withTestDatabase(migrated: false) { testDB in
            try await testDB.withDatabase { database in
                let migrations = try MigrationSet.bundled()
                let migrator = Migrator(database: database, migrations: migrations, logger: .quiet)
                #expect(try await migrator.status() == MigrationStatus(applied: 0, known: migrations.files.count, problem: nil))

                let outcome = try await migrator.migrate()
                #expect(outcome.applied == migrations.files.map(\.name))
                #expect(outcome.alreadyApplied == 0)
                #expect(try await migrator.status().isCurrent)

                let version = try await database.withConnection { connection in
                    let rows = try await connection.query("SELECT postgis_lib_version()", logger: .quiet)
                    for try await version in rows.decode(String.self) { return version }
                    return ""
                }
                #expect(version.hasPrefix("3."))
            }
        }
    }

    @Test func aSecondRunAppliesNothing() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase { database in
                let migrator = Migrator(database: database, migrations: try MigrationSet.bundled(), logger: .quiet)
                let outcome = try await migrator.migrate()
                #expect(outcome.applied.isEmpty)
                #expect(outcome.alreadyApplied == (try MigrationSet.bundled()).files.count)
            }
        }
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        let folder = try MigrationFolder([
            "0001_first.sql": "CREATE TABLE first_table (id int);",
            "0002_second.sql": "CREATE TABLE second_table (id int);",
        ])
        try await withTestDatabase(migrated: false) { testDB in
            try await testDB.withDatabase { database in
                try await Migrator(database: database, migrations: try folder.load(), logger: .quiet).migrate()

                try folder.write("0002_second.sql", "CREATE TABLE second_table (id bigint);")
                try folder.write("0003_third.sql", "CREATE TABLE third_table (id int);")
                let edited = Migrator(database: database, migrations: try folder.load(), logger: .quiet)
                do {
                    try await edited.migrate()
                    Issue.record("an edited migration was accepted")
                } catch let error as MigrationError {
                    guard case .editedAfterApply(let name, _, _) = error else {
                        Issue.record("unexpected \(error)")
                        return
                    }
                    #expect(name == "0002_second.sql")
                    #expect("\(error)".contains("was edited after it was applied"))
                }
                // Nothing after the refusal ran.
                #expect(try await tableExists("third_table", database) == false)
                let status = try await edited.status()
                #expect(!status.isCurrent)
                #expect(status.problem != nil)
            }
        }
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        let folder = try MigrationFolder([
            "0001_ok.sql": "CREATE TABLE ok_table (id int);",
            "0002_broken.sql": "CREATE TABLE half_table (id int);\nSELECT * FROM no_such_table;",
        ])
        try await withTestDatabase(migrated: false) { testDB in
            try await testDB.withDatabase { database in
                let migrator = Migrator(database: database, migrations: try folder.load(), logger: .quiet)
                await #expect(throws: MigrationError.self) { try await migrator.migrate() }
                #expect(try await tableExists("ok_table", database))
                // The failed file's first statement was rolled back with the rest of it.
                #expect(try await tableExists("half_table", database) == false)
                #expect(try await migrator.status().applied == 1)
            }
        }
    }

    @Test func concurrentRunsApplyEachMigrationOnce() async throws {
        try await withTestDatabase(migrated: false) { testDB in
            let migrations = try MigrationSet.bundled()
            // Separate pools, as separate `intake migrate` processes would have.
            let outcomes = try await withThrowingTaskGroup(of: Migrator.Outcome.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await testDB.withDatabase(poolSize: 1) { database in
                            try await Migrator(database: database, migrations: migrations, logger: .quiet).migrate()
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let applied = outcomes.flatMap(\.applied)
            #expect(applied.sorted() == migrations.files.map(\.name).sorted())
            #expect(outcomes.filter { !$0.applied.isEmpty }.count == 1)
        }
    }

    @Test func badFileNamesAreRefused() throws {
        let folder = try MigrationFolder(["0001_ok.sql": "SELECT 1;", "second.sql": "SELECT 1;"])
        #expect(throws: MigrationError.badFileName("second.sql")) { try folder.load() }
        let duplicate = try MigrationFolder(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"])
        #expect(throws: MigrationError.duplicateVersion(1, "0001_a.sql", "0001_b.sql")) { try duplicate.load() }
    }

    @Test func theBundledMigrationsMatchTheTopLevelFolder() throws {
        let bundled = try MigrationSet.bundled()
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Migrations").standardized
        let onDisk = try MigrationSet.load(directory: source)
        #expect(bundled.files == onDisk.files)
        #expect(bundled.files.first?.sql.contains("CREATE EXTENSION IF NOT EXISTS postgis") == true)
    }

    private func tableExists(_ name: String, _ database: Database) async throws -> Bool {
        try await database.withConnection { connection in
            let rows = try await connection.query("SELECT to_regclass(\(name)) IS NOT NULL", logger: .quiet)
            for try await exists in rows.decode(Bool.self) { return exists }
            return false
        }
    }
}

/// A temporary folder of migration files.
struct MigrationFolder {
    let url: URL

    init(_ files: [String: String]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, sql) in files { try write(name, sql) }
    }

    func write(_ name: String, _ sql: String) throws {
        try sql.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func load() throws -> MigrationSet { try MigrationSet.load(directory: url) }
}

@Suite struct ReferenceSequenceMigrationTests {
    /// A database migrated before references came from sequences keeps counting where its
    /// counters stopped, and new councils start at 1.
    @Test func countersCarryOverIntoSequences() async throws {
        try await withTestDatabase(migrated: false) { testDB in
            try await testDB.withDatabase { database in
                let all = try MigrationSet.bundled()
                let before = MigrationSet(files: all.files.filter { $0.version <= 10 })
                _ = try await Migrator(database: database, migrations: before, logger: .quiet).migrate()
                try await database.withConnection { connection in
                    _ = try await connection.query(
                        """
                        WITH c AS (INSERT INTO councils (slug, name, tier) VALUES ('old', 'Old Council', 'unitary') RETURNING id)
                        INSERT INTO report_reference_counters (council_id, prefix, last_value) SELECT id, 'FT', 41 FROM c
                        """,
                        logger: .quiet
                    )
                    _ = try await connection.query(
                        "INSERT INTO councils (slug, name, tier) VALUES ('new', 'New Council', 'unitary')",
                        logger: .quiet
                    )
                }
                _ = try await Migrator(database: database, migrations: all, logger: .quiet).migrate()
                let references = try await database.withConnection { connection in
                    let rows = try await connection.query(
                        """
                        SELECT c.slug || ' ' || next_report_reference(c.id, 'FT') FROM councils c, generate_series(1, 2)
                        """,
                        logger: .quiet
                    )
                    var found: [String] = []
                    for try await reference in rows.decode(String.self) { found.append(reference) }
                    return found
                }
                #expect(references.sorted() == ["new FT-000001", "new FT-000002", "old FT-000042", "old FT-000043"])
            }
        }
    }
}
