import ArgumentParser
import Foundation
import IntakeStorage

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations (safe to run from several processes at once)."
    )
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, _) = Runtime.bootstrap(config, label: "intake.migrate")
        let migrations = try Runtime.migrations(config)
        try await Runtime.withDatabase(config, logger: logger) { database in
            do {
                let outcome = try await Migrator(database: database, migrations: migrations, logger: logger).migrate()
                print("migrations: \(outcome.applied.count) applied, \(outcome.alreadyApplied) already present")
            } catch let error as MigrationError {
                FileHandle.standardError.write(Data("intake: \(error)\n".utf8))
                throw ExitCode(65)
            }
        }
    }
}
