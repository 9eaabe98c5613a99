import ArgumentParser
import IntakeCore
import IntakeHTTP
import IntakeServices
import IntakeStorage
import Logging
import ServiceLifecycle
import UnixSignals

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Serve the API and run the worker in one process (local default).")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, metrics) = Runtime.bootstrap(config, label: "intake.dev")
        let migrations = try Runtime.migrations(config)
        try await Runtime.withDatabase(config, logger: logger) { database in
            try await Runtime.prepareSecrets(database, logger: logger)
            let signals = DispatchSignals()
            let caches = ProcessCaches()
            let app = try buildApplication(
                HTTPDependencies(
                    config: config, database: database, migrations: migrations, metrics: metrics, logger: logger, signals: signals,
                    caches: caches),
                onServerRunning: { port in logger.info("listening", metadata: ["host": "\(config.httpHost)", "port": "\(port)"]) })
            let listener = DispatchListener(
                database: database, signals: signals, onCacheChange: caches.changed, onListening: caches.listening, logger: logger)
            let worker = WorkerCommand.worker(config, database: database, signals: signals, logger: logger)
            var services: [any Service] = [listener, app, worker]
            if config.metricsPort != 0 {
                services.append(
                    buildMetricsApplication(host: config.httpHost, port: config.metricsPort, metrics: metrics, database: database, logger: logger))
            }
            try await ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        }
        logger.info("stopped")
    }
}
