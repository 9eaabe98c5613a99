import Foundation
import IntakeTestSupport
import Testing

@Suite struct MigrateCommandTests {
    @Test func twoMigrateProcessesAtOnceApplyEachFileOnce() async throws {
        try await withTestDatabase(migrated: false) { testDB in
            let env = ["DATABASE_URL": testDB.settings.url, "LOG_LEVEL": "warning"]
            let first = try IntakeProcess(["migrate"], environment: env)
            let second = try IntakeProcess(["migrate"], environment: env)
            let firstStatus = await first.waitForExit(timeout: .seconds(60))
            let secondStatus = await second.waitForExit(timeout: .seconds(60))
            #expect(firstStatus == 0, "\(first.stderr)")
            #expect(secondStatus == 0, "\(second.stderr)")
            let summaries = [first.stdout, second.stdout].joined()
            // One process applied everything; the other found it done.
            #expect(summaries.contains("0 applied"))
            #expect(summaries.contains("already present"))

            let rerun = try await IntakeProcess.run(["migrate"], environment: env)
            #expect(rerun.status == 0)
            #expect(rerun.stdout.contains("0 applied"))
        }
    }

    @Test func anEditedMigrationIsRefusedByTheCommand() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("0001_table.sql")
        try "CREATE TABLE t (id int);".write(to: file, atomically: true, encoding: .utf8)
        try await withTestDatabase(migrated: false) { testDB in
            let env = ["DATABASE_URL": testDB.settings.url, "MIGRATIONS_DIR": folder.path, "LOG_LEVEL": "warning"]
            #expect(try await IntakeProcess.run(["migrate"], environment: env).status == 0)
            try "CREATE TABLE t (id bigint);".write(to: file, atomically: true, encoding: .utf8)
            let refused = try await IntakeProcess.run(["migrate"], environment: env)
            #expect(refused.status == 65)
            #expect(refused.stderr.contains("migration 0001_table.sql was edited after it was applied"))
        }
    }
}
