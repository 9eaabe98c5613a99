import ArgumentParser
import IntakeCore
import IntakeStorage
import IntakeWorker
import Logging
import ServiceLifecycle
import UnixSignals

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the dispatch worker.")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, _) = Runtime.bootstrap(config, label: "intake.worker")
        try await Runtime.withDatabase(config, logger: logger) { database in
            try await ServiceGroup(
                configuration: .init(
                    services: [Self.worker(config, database: database, logger: logger)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        }
        logger.info("stopped")
    }

    static func worker(_ config: IntakeConfig, database: Database, logger: Logger) -> DispatchWorker {
        let maintenance = Maintenance(
            reports: ReportStore(database: database, logger: logger),
            idempotency: IdempotencyStore(database: database, logger: logger),
            media: MediaStore(database: database, logger: logger), contactRetentionDays: config.contactRetentionDays, logger: logger)
        return DispatchWorker(pollInterval: config.workerPollInterval, logger: logger) {
            // Dispatch of the queued jobs arrives with the back-office destinations; until then
            // a pass is housekeeping only (which does not count as work: the loop still sleeps).
            try await maintenance.runIfDue()
            return 0
        }
    }
}
