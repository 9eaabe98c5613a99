import ArgumentParser
import IntakeServices

/// `intake housekeeping`: the worker's housekeeping now, pass after pass (each a bounded batch of
/// every kind, as the worker runs one a minute), until the backlog is gone: to catch up after an
/// import or a long stop without waiting for the worker. It stops at the first pass that changes
/// fewer rows than the smallest batch of any step (`Maintenance.smallestBatch`), so on a busy
/// database the trickle of rows that come of age while it runs does not keep it going; the
/// worker takes those.
struct HousekeepingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "housekeeping",
        abstract: "Run the worker's housekeeping now, batch after batch, until the backlog is gone."
    )
    @OptionGroup var settings: SettingsOptions
    @Option(help: "Stop after this many passes even if work is left (exit 75).") var maxPasses: Int = 100_000

    func validate() throws {
        guard maxPasses >= 1 else { throw ValidationError("--max-passes must be at least 1") }
    }

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, _) = Runtime.bootstrap(config, label: "intake.housekeeping")
        let finished = try await Runtime.withDatabase(config, logger: logger) { [maxPasses] database in
            let maintenance = AppServices(config: config, database: database, logger: logger).maintenance()
            var changed = 0
            var passes = 0
            while passes < maxPasses {
                passes += 1
                let rows = try await maintenance.run()
                changed += rows
                if rows < Maintenance.smallestBatch {
                    print("housekeeping: \(changed) rows changed in \(passes) passes")
                    return true
                }
            }
            print("housekeeping: \(changed) rows changed in \(passes) passes; work is left (--max-passes)")
            return false
        }
        // EX_TEMPFAIL: run it again, or leave the rest to the worker.
        if !finished { throw ExitCode(75) }
    }
}
