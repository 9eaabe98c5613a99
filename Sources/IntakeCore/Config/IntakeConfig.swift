import Foundation

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

    /// Where apps and back offices reach this service; photo links in case messages use it.
    public var publicBaseURL: String = "http://127.0.0.1:8080"
    /// Jobs a worker lane claims and delivers at once, and how many lanes a worker runs.
    public var workerBatchSize: Int = 64
    public var workerLanes: Int = 2
    /// A push job's lease is the destination's timeout plus this many seconds.
    public var workerLeaseMargin: Double = 30
    /// Admit plain-http destination URLs (local development and tests only).
    public var allowHTTPDestinations: Bool = false
    /// Admit destinations on loopback, private, link-local or metadata addresses (local testing
    /// only; otherwise refused when saved and again before every delivery).
    public var allowPrivateDestinations: Bool = false
    /// How long a rotated-out webhook secret keeps signing.
    public var webhookSecretOverlap: Duration = .seconds(86_400)
    /// The `intake worker` process serves /metrics on this port (0 = none).
    public var workerMetricsPort: Int = 0
    /// An unpaid payment intent expires this many minutes after it was made (GOV.UK Pay: 90).
    public var paymentExpiryMinutes: Int64 = 90
    /// Browser origins allowed to call the API (CORS); empty: none; ["*"]: any, never with
    /// credentials.
    public var corsAllowedOrigins: [String] = []
    /// `intake serve` also serves /metrics, without a key, on this port (0 = none); on the API's
    /// own port /metrics always needs an admin key.
    public var metricsPort: Int = 0
    /// Requests per minute: writes per client key, public reads per client IP, and report
    /// updates by tracking token per client IP (0: no limit). Counted in each process.
    public var rateLimitWritesPerMinute: Int = 1200
    public var rateLimitReadsPerMinute: Int = 600
    public var rateLimitTrackingPerMinute: Int = 20
    /// How many proxies in front of the service append to `X-Forwarded-For`: the client's
    /// address is that many entries from the right (0: the connection's own address).
    public var trustedProxyHops: Int = 0
    /// Seals stored secrets (`SECRETS_KEY`; `SECRETS_KEY_PREVIOUS` during a rotation).
    public var secrets: SecretKeyring = .none
    /// GOV.UK Pay's public API (a test or stub server in development).
    public var govukPayBaseURL: String = "https://publicapi.payments.service.gov.uk"
    /// bcrypt's cost for staff passwords (tests lower it; each step doubles the work).
    public var staffBcryptCost: Int = 12
    /// GOV.UK Notify's public API, where the worker sends emails and texts (a fake in tests).
    public var govukNotifyBaseURL: String = "https://api.notifications.service.gov.uk"

    public init(
        database: DatabaseSettings,
        databasePoolSize: Int = 20,
        databaseConnectTimeout: Duration = .seconds(10),
        databaseAcquireTimeout: Duration = .seconds(5),
        httpHost: String = "127.0.0.1",
        httpPort: Int = 8080,
        maxJSONBodyBytes: Int = 1 << 20,
        logLevel: LogLevel = .info,
        logFormat: LogFormat = .text,
        workerPollInterval: Duration = .seconds(1),
        migrationsDirectory: String? = nil
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
        let defaultBase = "http://\(config.httpHost):\(config.httpPort)"
        let base = source.string("PUBLIC_BASE_URL", default: defaultBase)
        guard let url = URL(string: base), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ConfigError(setting: "PUBLIC_BASE_URL", message: "expected an http or https URL, got '\(base)'")
        }
        config.publicBaseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        config.workerBatchSize = try source.int("WORKER_BATCH_SIZE", default: 64, range: 1...1000)
        config.workerLanes = try source.int("WORKER_LANES", default: 2, range: 1...64)
        let margin = try source.seconds("WORKER_LEASE_MARGIN", default: 30, range: 0.1...3600)
        config.workerLeaseMargin = Double(margin.components.seconds) + Double(margin.components.attoseconds) / 1e18
        config.allowHTTPDestinations = try source.bool("DESTINATIONS_ALLOW_HTTP", default: false)
        config.allowPrivateDestinations = try source.bool("DESTINATIONS_ALLOW_PRIVATE", default: false)
        config.webhookSecretOverlap = try source.seconds("WEBHOOK_SECRET_OVERLAP", default: 86_400, range: 0...(30 * 86_400))
        config.workerMetricsPort = try source.int("WORKER_METRICS_PORT", default: 0, range: 0...65535)
        config.paymentExpiryMinutes = Int64(try source.int("PAYMENT_EXPIRY_MINUTES", default: 90, range: 1...1440))
        let pay = source.string("GOVUK_PAY_BASE_URL", default: config.govukPayBaseURL)
        guard let payURL = URL(string: pay), ["http", "https"].contains(payURL.scheme?.lowercased() ?? ""), payURL.host != nil else {
            throw ConfigError(setting: "GOVUK_PAY_BASE_URL", message: "expected an http or https URL, got '\(pay)'")
        }
        config.govukPayBaseURL = pay
        let notify = source.string("GOVUK_NOTIFY_BASE_URL", default: config.govukNotifyBaseURL)
        guard let notifyURL = URL(string: notify), ["http", "https"].contains(notifyURL.scheme?.lowercased() ?? ""), notifyURL.host != nil
        else {
            throw ConfigError(setting: "GOVUK_NOTIFY_BASE_URL", message: "expected an http or https URL, got '\(notify)'")
        }
        config.govukNotifyBaseURL = notify
        config.corsAllowedOrigins = try corsOrigins(source.string("CORS_ALLOWED_ORIGINS", default: ""))
        config.metricsPort = try source.int("METRICS_PORT", default: 0, range: 0...65535)
        config.rateLimitWritesPerMinute = try source.int("RATE_LIMIT_WRITES_PER_MINUTE", default: 1200, range: 0...1_000_000)
        config.rateLimitReadsPerMinute = try source.int("RATE_LIMIT_READS_PER_MINUTE", default: 600, range: 0...1_000_000)
        config.rateLimitTrackingPerMinute = try source.int("RATE_LIMIT_TRACKING_PER_MINUTE", default: 20, range: 0...1_000_000)
        config.trustedProxyHops = try source.int("TRUSTED_PROXY_HOPS", default: 0, range: 0...10)
        config.secrets = try keyring(current: source.raw("SECRETS_KEY"), previous: source.raw("SECRETS_KEY_PREVIOUS"))
        return config
    }

    /// `https://app.example, https://admin.example`, or `*`; each an origin (scheme, host,
    /// optional port; no path).
    static func corsOrigins(_ text: String) throws(ConfigError) -> [String] {
        let origins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if origins == ["*"] { return origins }
        for origin in origins {
            guard let url = URL(string: origin), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
                url.path.isEmpty, url.query == nil, !origin.hasSuffix("/")
            else {
                throw ConfigError(
                    setting: "CORS_ALLOWED_ORIGINS",
                    message: "expected '*' or comma-separated origins like https://app.example, got '\(origin)'"
                )
            }
        }
        return origins
    }

    /// `SECRETS_KEY`: 32 random bytes as base64 or hex (`intake secrets generate-key`).
    /// `SECRETS_KEY_PREVIOUS`: keys being rotated out, comma-separated; they only open.
    static func keyring(current: String?, previous: String?) throws(ConfigError) -> SecretKeyring {
        let hint = "expected 32 random bytes as base64 or 64 hex digits (`intake secrets generate-key` makes one)"
        var key: SecretKeyring.Key?
        if let current, !current.isEmpty {
            guard let parsed = SecretKeyring.Key(encoded: current) else { throw ConfigError(setting: "SECRETS_KEY", message: hint) }
            key = parsed
        }
        var older: [SecretKeyring.Key] = []
        for text in (previous ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            guard let parsed = SecretKeyring.Key(encoded: text) else {
                throw ConfigError(setting: "SECRETS_KEY_PREVIOUS", message: hint + ", comma-separated")
            }
            older.append(parsed)
        }
        if key == nil, !older.isEmpty {
            throw ConfigError(setting: "SECRETS_KEY", message: "must be set when SECRETS_KEY_PREVIOUS is (it seals; the previous keys only open)")
        }
        return SecretKeyring(current: key, previous: older)
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
