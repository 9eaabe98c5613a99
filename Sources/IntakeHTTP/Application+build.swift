import HTTPTypes
import Hummingbird
import IntakeAPI
import IntakeCore
import IntakeOpen311
import IntakePayments
import IntakeServices
import IntakeStorage
import Logging
import OpenAPIRuntime
import Prometheus
import ServiceLifecycle

/// What the HTTP application needs from the process that hosts it.
public struct HTTPDependencies: Sendable {
    public var config: IntakeConfig
    public var database: Database
    public var migrations: MigrationSet
    public var metrics: PrometheusCollectorRegistry
    public var logger: Logger
    /// Rung by the process's `DispatchListener`; long-polling receives wait on it.
    public var signals: DispatchSignals
    /// API keys and the routing catalogue; trusted only while the process's listener hears
    /// their change notifications (without one, as in most tests, every read goes to SQL).
    public var caches: ProcessCaches

    public init(
        config: IntakeConfig, database: Database, migrations: MigrationSet, metrics: PrometheusCollectorRegistry,
        logger: Logger, signals: DispatchSignals = DispatchSignals(), caches: ProcessCaches = ProcessCaches()
    ) {
        self.signals = signals
        self.caches = caches
        self.config = config
        self.database = database
        self.migrations = migrations
        self.metrics = metrics
        self.logger = logger
    }
}

/// Builds the router: middleware from the outside in, then the generated API and the static routes.
public func buildRouter(_ deps: HTTPDependencies) throws -> Router<IntakeRequestContext> {
    let router = Router(context: IntakeRequestContext.self)
    let routes = RouteTable()
    let db = deps.database
    let keys = APIKeyStore(database: db, logger: deps.logger)
    let authentication = KeyAuthentication(store: keys, caches: deps.caches)
    let auth = Authenticator(keys: authentication)
    router.add(middleware: RequestObservationMiddleware())
    router.add(middleware: SecurityHeadersMiddleware(servedOverTLS: deps.config.publicBaseURL.lowercased().hasPrefix("https://")))
    // Outside the problem middleware, so error responses carry CORS headers too.
    router.add(middleware: CORSPolicyMiddleware(allowed: deps.config.corsAllowedOrigins))
    router.add(middleware: ProblemMiddleware(routes: routes))
    // Who may call, before any body is read; then how often.
    router.add(middleware: AccessGateMiddleware(auth: auth, councils: CouncilStore(database: db, logger: deps.logger)))
    let limits = RateLimits(deps.config)
    router.add(middleware: RateLimitMiddleware(limits: limits, auth: auth))
    router.add(
        middleware: RequestBodyMiddleware(
            maxJSONBodyBytes: deps.config.maxJSONBodyBytes, maxMediaBytes: deps.config.maxMediaBytes))
    // Admins' and back offices' changes, recorded before they are made.
    let audit = AuditTrail(
        store: AuditStore(database: db, logger: deps.logger), councils: CouncilStore(database: db, logger: deps.logger))
    router.add(middleware: AuditMiddleware(trail: audit, maxBodyBytes: deps.config.maxJSONBodyBytes))

    let migrator = Migrator(database: deps.database, migrations: deps.migrations, logger: deps.logger)
    let catalogue = RoutingCatalogue(routing: RoutingStore(database: db, logger: deps.logger), caches: deps.caches)
    let reports = ReportStore(database: db, logger: deps.logger)
    let intake = IntakeService(reports: reports, catalogue: catalogue)
    let idempotent = IdempotentRequests(store: IdempotencyStore(database: db, logger: deps.logger))
    let payments = PaymentService(database: db, config: deps.config, logger: deps.logger)
    let api = APIService(
        config: deps.config, database: db, migrator: migrator, auth: auth, keys: keys,
        councils: CouncilStore(database: db, logger: deps.logger),
        boundaries: BoundaryStore(database: db, logger: deps.logger),
        categories: CategoryStore(database: db, logger: deps.logger),
        catalogue: catalogue, reports: reports, intake: intake, idempotent: idempotent,
        media: MediaStore(database: db, logger: deps.logger),
        destinations: DestinationStore(database: db, logger: deps.logger),
        pull: PullQueue(database: db, logger: deps.logger),
        queueMessages: QueueMessages(database: db, logger: deps.logger, baseURL: deps.config.publicBaseURL),
        payments: payments, audit: audit,
        signals: deps.signals, caches: deps.caches)
    // Compact JSON: the runtime's default pretty-prints every response, which costs CPU and bytes.
    try api.registerHandlers(
        on: RecordingTransport(router: router, routes: routes),
        configuration: Configuration(
            dateTranscoder: InternetDateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]))
    // The Open311 facade answers in its own formats, under /open311/v2/.
    Open311Facade(
        config: deps.config, database: db, authentication: authentication, catalogue: catalogue, intake: intake,
        idempotent: idempotent, writes: limits.writes, logger: deps.logger
    ).register(on: router)
    for (method, path) in Open311Facade.routes { routes.add(method: method, path: path) }
    // Providers' webhooks and the sandbox provider's payer page (HTML, not JSON API).
    PaymentProviderRoutes(payments: payments, councils: CouncilStore(database: db, logger: deps.logger),
        sandbox: SandboxPaymentStore(database: db, logger: deps.logger)).register(on: router, routes: routes)
    StaticRoutes.register(
        on: router, routes: routes, metrics: deps.metrics, metricsAuth: auth,
        queueGauges: QueueGauges(registry: deps.metrics, destinations: DestinationStore(database: db, logger: deps.logger)))
    return router
}

/// The HTTP server as a service. The database is not among its services: the caller runs it
/// first in the same ServiceGroup, so it shuts down after the server has drained.
public func buildApplication(
    _ deps: HTTPDependencies, extraServices: [any Service] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try buildRouter(deps)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(deps.config.httpHost, port: deps.config.httpPort),
            serverName: "civic-intake"),
        services: extraServices,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: deps.logger)
}

/// A listener that serves only `/metrics` and `/health/live`: the `intake worker` process's
/// counters (delivery attempts and their durations) plus the queue figures.
public func buildMetricsApplication(
    host: String, port: Int, metrics: PrometheusCollectorRegistry, database: Database, logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: IntakeRequestContext.self)
    let gauges = QueueGauges(registry: metrics, destinations: DestinationStore(database: database, logger: logger))
    StaticRoutes.registerMetrics(on: router, routes: RouteTable(), metrics: metrics, auth: nil, queueGauges: gauges)
    router.get("/health/live") { _, _ in Response(status: .ok) }
    return Application(
        router: router, configuration: .init(address: .hostname(host, port: port), serverName: "civic-intake-worker"),
        logger: logger)
}
