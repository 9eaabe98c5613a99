/// Everything a process needs to start, read once at start-up.
///
/// The API and the worker keep no state of their own beyond this: several of each can run
/// against one database.
public struct IntakeConfig: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }
    public enum LogLevel: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    public var database: DatabaseSettings
    /// Connections per process.
    public var databasePoolSize: Int
    /// How long start-up waits for the database before giving up.
    public var databaseConnectTimeout: Duration
    /// How long a request waits for a free or new connection before answering 503.
    public var databaseAcquireTimeout: Duration

    public var httpHost: String
    public var httpPort: Int
    /// Largest JSON request body accepted (413 above it).
    public var maxJSONBodyBytes: Int

    public var logLevel: LogLevel
    public var logFormat: LogFormat

    /// How often the worker looks for work when no notification wakes it.
    public var workerPollInterval: Duration

    /// A folder of migration files to use instead of the ones built into the binary.
    public var migrationsDirectory: String?

    /// "Already reported?": how far and how far back `GET /v1/reports/nearby` looks.
    public var nearbyRadiusMetres: Int = 250
    public var nearbyDays: Int = 60
    /// Days after a report closes until its reporter's contact details are erased.
    public var contactRetentionDays: Int = 365
    /// Largest photo accepted (413 above it).
    public var maxMediaBytes: Int = 10 << 20

    public init(
        database: DatabaseSettings, databasePoolSize: Int = 20, databaseConnectTimeout: Duration = .seconds(10),
        databaseAcquireTimeout: Duration = .seconds(5), httpHost: String = "127.0.0.1", httpPort: Int = 8080,
        maxJSONBodyBytes: Int = 1 << 20, logLevel: LogLevel = .info, logFormat: LogFormat = .text,
        workerPollInterval: Duration = .seconds(1), migrationsDirectory: String? = nil
    ) {
        self.database = database
        self.databasePoolSize = databasePoolSize
        self.databaseConnectTimeout = databaseConnectTimeout
        self.databaseAcquireTimeout = databaseAcquireTimeout
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.maxJSONBodyBytes = maxJSONBodyBytes
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.workerPollInterval = workerPollInterval
        self.migrationsDirectory = migrationsDirectory
    }

    /// Every setting, its environment name and default. README.md shows the same table.
    public static func load(from source: SettingsSource) throws(ConfigError) -> IntakeConfig {
        var config = try base(from: source)
        config.nearbyRadiusMetres = try source.int("NEARBY_RADIUS_METRES", default: 250, range: 1...5000)
        config.nearbyDays = try source.int("NEARBY_DAYS", default: 60, range: 1...3650)
        config.contactRetentionDays = try source.int("CONTACT_RETENTION_DAYS", default: 365, range: 1...3650)
        config.maxMediaBytes = try source.int("MAX_MEDIA_BYTES", default: 10 << 20, range: 1024...(100 << 20))
        return config
    }

    private static func base(from source: SettingsSource) throws(ConfigError) -> IntakeConfig {
        let url = try source.required("DATABASE_URL", hint: "e.g. postgres://intake@127.0.0.1:54329/intake; `make run` sets it")
        return IntakeConfig(
            database: try DatabaseSettings.parse(url: url),
            databasePoolSize: try source.int("DB_POOL_SIZE", default: 20, range: 1...500),
            databaseConnectTimeout: try source.seconds("DB_CONNECT_TIMEOUT", default: 10, range: 0.1...600),
            databaseAcquireTimeout: try source.seconds("DB_ACQUIRE_TIMEOUT", default: 5, range: 0.05...120),
            httpHost: source.string("HTTP_HOST", default: "127.0.0.1"),
            // 0 asks the system for a free port (logged at start-up); tests use it.
            httpPort: try source.int("HTTP_PORT", default: 8080, range: 0...65535),
            maxJSONBodyBytes: try source.int("MAX_JSON_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20)),
            logLevel: try source.choice("LOG_LEVEL", default: LogLevel.info),
            logFormat: try source.choice("LOG_FORMAT", default: LogFormat.text),
            workerPollInterval: try source.seconds("WORKER_POLL_INTERVAL", default: 1, range: 0.05...60),
            migrationsDirectory: source.raw("MIGRATIONS_DIR")
        )
    }
}
