import ArgumentParser
import IntakeCore
import IntakeHTTP
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
            let app = try buildApplication(
                HTTPDependencies(config: config, database: database, migrations: migrations, metrics: metrics, logger: logger),
                onServerRunning: { port in logger.info("listening", metadata: ["host": "\(config.httpHost)", "port": "\(port)"]) })
            // SIGTERM/SIGINT: stop accepting, finish in-flight requests, then return.
            try await ServiceGroup(
                configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        }
        logger.info("stopped")
    }
}
