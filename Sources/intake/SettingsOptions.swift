import ArgumentParser
import IntakeCore

/// Flags that override the environment. Values are parsed by `IntakeConfig.load`, so a bad
/// flag and a bad variable get the same one-line error.
struct SettingsOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (DATABASE_URL).") var databaseUrl: String?
    @Option(help: "Connections per process (DB_POOL_SIZE, default 20).") var dbPoolSize: String?
    @Option(help: "Seconds to wait for the database at start-up (DB_CONNECT_TIMEOUT, default 10).") var dbConnectTimeout: String?
    @Option(help: "Seconds a request waits for a connection before a 503 (DB_ACQUIRE_TIMEOUT, default 5).")
    var dbAcquireTimeout: String?
    @Option(help: "Address to listen on (HTTP_HOST, default 127.0.0.1).") var httpHost: String?
    @Option(help: "Port to listen on (HTTP_PORT, default 8080).") var httpPort: String?
    @Option(help: "Largest JSON body in bytes (MAX_JSON_BODY_BYTES, default 1048576).") var maxJsonBodyBytes: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (LOG_LEVEL, default info).") var logLevel: String?
    @Option(help: "text or json (LOG_FORMAT, default text).") var logFormat: String?
    @Option(help: "Seconds between worker polls (WORKER_POLL_INTERVAL, default 1).") var workerPollInterval: String?
    @Option(help: "Folder of migrations to use instead of the built-in ones (MIGRATIONS_DIR).") var migrationsDir: String?
    @Option(help: "Radius of the 'already reported' search in metres (NEARBY_RADIUS_METRES, default 250).")
    var nearbyRadiusMetres: String?
    @Option(help: "How many days back the 'already reported' search looks (NEARBY_DAYS, default 60).") var nearbyDays: String?
    @Option(help: "Days after closure until contact details are erased (CONTACT_RETENTION_DAYS, default 365).")
    var contactRetentionDays: String?
    @Option(help: "Largest photo in bytes (MAX_MEDIA_BYTES, default 10485760).") var maxMediaBytes: String?

    var overrides: [String: String] {
        let pairs: [(String, String?)] = [
            ("DATABASE_URL", databaseUrl), ("DB_POOL_SIZE", dbPoolSize), ("DB_CONNECT_TIMEOUT", dbConnectTimeout),
            ("DB_ACQUIRE_TIMEOUT", dbAcquireTimeout), ("HTTP_HOST", httpHost), ("HTTP_PORT", httpPort),
            ("MAX_JSON_BODY_BYTES", maxJsonBodyBytes), ("LOG_LEVEL", logLevel), ("LOG_FORMAT", logFormat),
            ("WORKER_POLL_INTERVAL", workerPollInterval), ("MIGRATIONS_DIR", migrationsDir),
            ("NEARBY_RADIUS_METRES", nearbyRadiusMetres), ("NEARBY_DAYS", nearbyDays),
            ("CONTACT_RETENTION_DAYS", contactRetentionDays), ("MAX_MEDIA_BYTES", maxMediaBytes),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }
}
