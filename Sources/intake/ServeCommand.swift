import ArgumentParser
import IntakeCore
import IntakeHTTP
import IntakeServices
import IntakeStorage
import Logging
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP API.")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, metrics) = Runtime.bootstrap(config, label: "intake.api")
        let migrations = try Runtime.migrations(config)
        try await Runtime.withDatabase(config, logger: logger) { database in
            try await Runtime.prepareSecrets(database, logger: logger)
            // The listener wakes long-polling queue receives when a message arrives.
            let signals = DispatchSignals()
            let caches = ProcessCaches()
            let app = try buildApplication(
                HTTPDependencies(
                    config: config, database: database, migrations: migrations, metrics: metrics, logger: logger, signals: signals,
                    caches: caches),
                onServerRunning: { port in logger.info("listening", metadata: ["host": "\(config.httpHost)", "port": "\(port)"]) })
            var services: [any Service] = [
                DispatchListener(
                    database: database, signals: signals, onCacheChange: caches.changed, onListening: caches.listening, logger: logger),
                app,
            ]
            if config.metricsPort != 0 {
                services.append(
                    buildMetricsApplication(host: config.httpHost, port: config.metricsPort, metrics: metrics, database: database, logger: logger))
            }
            // SIGTERM/SIGINT: stop accepting, finish in-flight requests, then return.
            try await ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        }
        logger.info("stopped")
    }
}
