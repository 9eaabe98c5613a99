import ArgumentParser
import IntakeServices

/// `intake housekeeping`: the worker's housekeeping now, pass after pass (each a bounded batch of
/// every kind, as the worker runs one a minute), until a pass finds nothing to do: to catch up a
/// backlog after an import or a long stop without waiting for the worker.
struct HousekeepingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "housekeeping",
        abstract: "Run the worker's housekeeping now, batch after batch, until nothing is left to do."
    )
    @OptionGroup var settings: SettingsOptions
    @Option(help: "Stop after this many passes even if work is left.") var maxPasses: Int = 100_000

    func validate() throws {
        guard maxPasses >= 1 else { throw ValidationError("--max-passes must be at least 1") }
    }

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, _) = Runtime.bootstrap(config, label: "intake.housekeeping")
        try await Runtime.withDatabase(config, logger: logger) { [maxPasses] database in
            let maintenance = AppServices(config: config, database: database, logger: logger).maintenance()
            var changed = 0
            var passes = 0
            while passes < maxPasses {
                passes += 1
                let rows = try await maintenance.run()
                changed += rows
                if rows == 0 { break }
            }
            print("housekeeping: \(changed) rows changed in \(passes) passes")
        }
    }
}
