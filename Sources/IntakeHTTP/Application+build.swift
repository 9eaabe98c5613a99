import HTTPTypes
import Hummingbird
import IntakeAPI
import IntakeCore
import IntakeOpen311
import IntakeServices
import IntakeStorage
import Logging
import OpenAPIRuntime
import Prometheus
import ServiceLifecycle

/// What the HTTP application needs from the process that hosts it: the process's services
/// (every store and service, wired once in `AppServices`), its migrations and its metrics.
public struct HTTPDependencies: Sendable {
    public var services: AppServices
    public var migrations: MigrationSet
    public var metrics: PrometheusCollectorRegistry
    public var config: IntakeConfig { services.config }
    public var logger: Logger { services.logger }

    public init(services: AppServices, migrations: MigrationSet, metrics: PrometheusCollectorRegistry) {
        self.services = services
        self.migrations = migrations
        self.metrics = metrics
    }

    /// For tests: services built from these settings.
    public init(
        config: IntakeConfig,
        database: Database,
        migrations: MigrationSet,
        metrics: PrometheusCollectorRegistry,
        logger: Logger,
        signals: DispatchSignals = DispatchSignals(),
        caches: ProcessCaches = ProcessCaches()
    ) {
        self.init(
            services: AppServices(config: config, database: database, logger: logger, signals: signals, caches: caches),
            migrations: migrations,
            metrics: metrics
        )
    }
}

/// Builds the router: middleware from the outside in, then the generated API, the Open311
/// facade, the payment providers' routes and the static routes.
public func buildRouter(_ deps: HTTPDependencies) throws -> Router<IntakeRequestContext> {
    let router = Router(context: IntakeRequestContext.self)
    let routes = RouteTable()
    let app = deps.services
    let auth = Authenticator(keys: app.authentication)
    router.add(middleware: RequestObservationMiddleware())
    router.add(middleware: SecurityHeadersMiddleware(servedOverTLS: deps.config.publicBaseURL.lowercased().hasPrefix("https://")))
    // Outside the problem middleware, so error responses carry CORS headers too.
    router.add(middleware: CORSPolicyMiddleware(allowed: deps.config.corsAllowedOrigins))
    router.add(middleware: ProblemMiddleware(routes: routes))
    // Who may call, before any body is read; then how often.
    router.add(middleware: AccessGateMiddleware(auth: auth, councils: app.councils))
    let limits = RateLimits(deps.config)
    router.add(middleware: RateLimitMiddleware(limits: limits, auth: auth))
    router.add(
        middleware: RequestBodyMiddleware(
            maxJSONBodyBytes: deps.config.maxJSONBodyBytes,
            maxMediaBytes: deps.config.maxMediaBytes
        )
    )
    // Admins' and back offices' changes, recorded before they are made.
    router.add(middleware: AuditMiddleware(trail: app.audit, maxBodyBytes: deps.config.maxJSONBodyBytes))

    let api = APIService(
        app: app,
        migrator: Migrator(database: app.database, migrations: deps.migrations, logger: deps.logger),
        auth: auth
    )
    // Compact JSON: the runtime's default pretty-prints every response, which costs CPU and bytes.
    try api.registerHandlers(
        on: RecordingTransport(router: router, routes: routes),
        configuration: Configuration(
            dateTranscoder: InternetDateTranscoder(),
            jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]
        )
    )
    // The Open311 facade answers in its own formats, under /open311/v2/.
    Open311Facade(services: app, writes: limits.writes).register(on: router)
    for (method, path) in Open311Facade.routes { routes.add(method: method, path: path) }
    // Providers' webhooks and the sandbox provider's payer page (HTML, not JSON API).
    PaymentProviderRoutes(payments: app.payments, councils: app.councils).register(on: router, routes: routes)
    NotifyCallbackRoutes(notifications: app.notifications).register(on: router, routes: routes)
    ConsoleRoutes(
        staff: app.staff,
        reports: app.reports,
        audit: app.audit,
        dispatch: app.dispatch,
        councils: app.councils,
        payments: app.payments,
        servedOverTLS: deps.config.publicBaseURL.lowercased().hasPrefix("https://")
    ).register(on: router, routes: routes)
    StaticRoutes.register(
        on: router,
        routes: routes,
        metrics: deps.metrics,
        metricsAuth: auth,
        queueGauges: QueueGauges(registry: deps.metrics, dispatch: app.dispatch)
    )
    return router
}

/// The HTTP server as a service. The database is not among its services: the caller runs it
/// first in the same ServiceGroup, so it shuts down after the server has drained.
public func buildApplication(
    _ deps: HTTPDependencies,
    extraServices: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = try buildRouter(deps)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(deps.config.httpHost, port: deps.config.httpPort),
            serverName: "civic-intake"
        ),
        services: extraServices,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: deps.logger
    )
}

/// A listener that serves only `/metrics` and `/health/live`: the `intake worker` process's
/// counters (delivery attempts and their durations) plus the queue figures.
public func buildMetricsApplication(
    host: String,
    port: Int,
    metrics: PrometheusCollectorRegistry,
    services: AppServices
) -> some ApplicationProtocol {
    let logger = services.logger
    let router = Router(context: IntakeRequestContext.self)
    let gauges = QueueGauges(registry: metrics, dispatch: services.dispatch)
    StaticRoutes.registerMetrics(on: router, routes: RouteTable(), metrics: metrics, auth: nil, queueGauges: gauges)
    router.get("/health/live") { _, _ in Response(status: .ok) }
    return Application(
        router: router,
        configuration: .init(address: .hostname(host, port: port), serverName: "civic-intake-worker"),
        logger: logger
    )
}
