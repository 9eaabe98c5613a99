import IntakeCore
import IntakeHTTP
import IntakeServices
import IntakeStorage
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// What one process runs: the HTTP API (`serve`), the worker (`worker`), or both (`dev`).
struct ProcessRoles: OptionSet, Sendable {
    let rawValue: Int
    static let api = ProcessRoles(rawValue: 1)
    static let worker = ProcessRoles(rawValue: 2)
}

/// The services of one process, in the order the ServiceGroup starts them (it stops them in
/// reverse, and the pool, run around the group, closes last): the listener that wakes the worker
/// and long-polling receives and empties the caches, then the HTTP API, the worker, and the
/// metrics listener when its port is set. Every store, client and service comes from `app`.
func buildServices(
    _ roles: ProcessRoles,
    app: AppServices,
    migrations: MigrationSet,
    metrics: PrometheusCollectorRegistry
) throws -> [any Service] {
    let config = app.config
    let logger = app.logger
    var services: [any Service] = [
        DispatchListener(
            database: app.database,
            onJob: app.signals.ring(payload:),
            onCacheChange: app.caches.changed,
            onListening: app.caches.listening,
            logger: logger
        )
    ]
    if roles.contains(.api) {
        services.append(
            try buildApplication(
                HTTPDependencies(services: app, migrations: migrations, metrics: metrics),
                onServerRunning: { port in logger.info("listening", metadata: ["host": "\(config.httpHost)", "port": "\(port)"]) }
            )
        )
    }
    if roles.contains(.worker) {
        services.append(app.worker())
    }
    // The worker alone has its own port setting; a process with the API uses METRICS_PORT.
    let metricsPort = roles.contains(.api) ? config.metricsPort : config.workerMetricsPort
    if metricsPort != 0 {
        services.append(buildMetricsApplication(host: config.httpHost, port: metricsPort, metrics: metrics, services: app))
    }
    return services
}

extension Runtime {
    /// What `serve`, `worker` and `dev` do: read settings, start logging, metrics and the pool,
    /// refuse stored secrets that cannot be opened, build the process's services, and run them
    /// until SIGTERM or SIGINT (stop accepting, finish what is in flight, then return).
    static func runProcess(_ settings: SettingsOptions, label: String, roles: ProcessRoles) async throws {
        let config = try loadConfig(settings)
        let (logger, metrics) = bootstrap(config, label: label)
        // The API's readiness compares the database with the build's migrations; a worker alone
        // does not read them.
        let migrations = roles.contains(.api) ? try migrations(config) : MigrationSet(files: [])
        try await withDatabase(config, logger: logger) { database in
            try await prepareSecrets(database, logger: logger)
            let app = AppServices(config: config, database: database, logger: logger)
            let services = try buildServices(roles, app: app, migrations: migrations, metrics: metrics)
            try await ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        }
        logger.info("stopped")
    }
}
