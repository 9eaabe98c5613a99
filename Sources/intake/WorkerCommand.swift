import ArgumentParser
import IntakeCore
import IntakeStorage
import IntakeWorker
import Logging
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
        DispatchWorker(pollInterval: config.workerPollInterval, logger: logger) {
            // Nothing is queued yet; the pass keeps the database connection honest.
            try await database.ping()
            return 0
        }
    }
}
