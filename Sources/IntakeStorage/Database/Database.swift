import Foundation
import IntakeCore
import Logging
import Metrics
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The process's connection pool, with the bounded waits the HTTP layer relies on.
///
/// Run it as a service (it must outlive whatever uses it). `withConnection` gives up after the
/// acquire timeout with `DatabaseUnavailable`, so a dead database turns into a prompt 503
/// instead of requests that hang.
public final class Database: Service, Sendable {
    public let client: PostgresClient
    public let settings: DatabaseSettings
    public let poolSize: Int
    let acquireTimeout: Duration
    let logger: Logger
    let poolMetrics: PoolMetrics
    /// Seals the secrets stores write and opens those they read (see `SecretKeyring`).
    public let secrets: SecretKeyring

    public init(
        settings: DatabaseSettings,
        poolSize: Int,
        acquireTimeout: Duration,
        logger: Logger,
        secrets: SecretKeyring = .none
    ) {
        var configuration = PostgresClient.Configuration(
            host: settings.host,
            port: settings.port,
            username: settings.username,
            password: settings.password,
            database: settings.database,
            tls: Self.tls(settings.tls)
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "civic-intake")]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.settings = settings
        self.poolSize = poolSize
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        self.poolMetrics = PoolMetrics(maxConnections: poolSize)
        self.secrets = secrets
    }

    public convenience init(config: IntakeConfig, logger: Logger) {
        self.init(
            settings: config.database,
            poolSize: config.databasePoolSize,
            acquireTimeout: config.databaseAcquireTimeout,
            logger: logger,
            secrets: config.secrets
        )
    }

    private static func tls(_ mode: DatabaseSettings.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    public func run() async throws {
        running.withLock { $0 = true }
        await withDiscardingTaskGroup { group in
            group.addTask { [notifier, logger] in
                await notifier.run(
                    send: { channel, payloads in
                        try await self.withConnection { connection in
                            _ = try await connection.query(
                                "SELECT pg_notify(\(channel), p) FROM unnest(\(payloads)::text[]) AS p",
                                logger: logger
                            )
                        }
                    },
                    logger: logger
                )
            }
            await client.run()
            group.cancelAll()
        }
    }

    /// Notifies `channel` soon, after the caller's transaction has committed (coalesced with
    /// other announcements of this process; see `PostCommitNotifier` for why not in the
    /// transaction). Returns at once.
    public func announce(channel: String, payload: String) {
        notifier.announce(channel: channel, payload: payload)
    }

    private let notifier = PostCommitNotifier()
    private let lossWatch = ConnectionLossWatch()

    /// Set when `run()` begins: leasing a connection before then makes postgres-nio log a
    /// warning (to stdout, in front of a command's own output).
    private let running = Mutex(false)

    /// Runs `body` on a pooled connection. Waiting for the connection is bounded by the acquire
    /// timeout; the body itself is not.
    ///
    /// The lease runs in a task of its own and the caller waits on a gate that the first of
    /// "acquired", "failed" and "timed out" opens. When the time is up the caller is answered at
    /// once and the lease is cancelled without waiting for it: a pool that does not honour
    /// cancellation (seen under heavy load) must not turn a prompt 503 into a hung request.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let gate = AcquireGate()
        let waitStarted = ContinuousClock.now
        let budget = Self.acquireBudget
        let acquireTimeout = budget?.limit(self.acquireTimeout) ?? self.acquireTimeout
        let metrics = poolMetrics
        metrics.waiting.increment()
        let result = CallResult<T>()
        let work = Task { [client, lossWatch] in
            do {
                let value = try await client.withConnection { connection in
                    // Too late: the caller has been told the database is unavailable.
                    guard gate.open(.acquired) else { throw CancellationError() }
                    metrics.waiting.decrement()
                    metrics.acquireTime.record(duration: ContinuousClock.now - waitStarted)
                    budget?.spend(ContinuousClock.now - waitStarted)
                    metrics.inUse.increment()
                    defer { metrics.inUse.decrement() }
                    // A call whose connection closes under it is answered at once (see
                    // `ConnectionLossWatch`); whatever it was waiting for is abandoned.
                    let token = lossWatch.watch(connection) {
                        result.resolve(.failure(DatabaseUnavailable(reason: "the connection to PostgreSQL closed during the call")))
                    }
                    defer { lossWatch.end(token, on: connection) }
                    return try await body(connection)
                }
                result.resolve(.success(value))
            } catch {
                if gate.open(.failed) { metrics.waiting.decrement() }
                result.resolve(.failure(error))
            }
        }
        let timer = Task { [acquireTimeout] in
            try? await Task.sleep(for: acquireTimeout)
            if gate.open(.timedOut) { metrics.waiting.decrement() }
        }
        let outcome = await withTaskCancellationHandler {
            await gate.wait()
        } onCancel: {
            if gate.open(.timedOut) { metrics.waiting.decrement() }
            work.cancel()
        }
        timer.cancel()
        switch outcome {
        case .timedOut:
            budget?.spend(acquireTimeout)
            work.cancel()
            if Task.isCancelled { throw CancellationError() }
            throw DatabaseUnavailable(reason: "no connection within \(acquireTimeout)")
        case .acquired, .failed:
            return try await withTaskCancellationHandler {
                try await result.value
            } onCancel: {
                work.cancel()
            }
        }
    }

    /// Runs `body` in a transaction (BEGIN … COMMIT, ROLLBACK when it throws). An error thrown by
    /// `body` reaches the caller as itself, not wrapped.
    public func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: self.logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                // The body's own error (after a clean rollback) is what callers match on.
                if let closureError = error.closureError, error.rollbackError == nil { throw closureError }
                throw error
            }
        }
    }

    /// `SELECT 1`: true when the database answers within the acquire timeout.
    public func ping() async throws {
        try await withConnection { connection in
            _ = try await connection.query("SELECT 1", logger: self.logger)
        }
    }

    /// Start-up check: retries until the database answers or `timeout` passes, then throws a
    /// `DatabaseUnavailable` that says where it looked (never the password).
    public func waitUntilReachable(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !running.withLock({ $0 }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        // `run()` has been entered; give the client a moment to mark itself running.
        try await Task.sleep(for: .milliseconds(10))
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                try await ping()
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        let reason = lastError.map { DatabaseErrors.summary($0) } ?? "no answer"
        throw DatabaseUnavailable(
            reason: "cannot reach PostgreSQL at \(settings.host):\(settings.port)/\(settings.database) within \(timeout): \(reason)"
        )
    }
}

/// How long one request may wait for connections in all: its calls share `DB_ACQUIRE_TIMEOUT`,
/// so a request of several calls still fails within about that time when the database cannot
/// be reached (each call gets what is left, and never less than a moment, enough to take a
/// connection that is free). The HTTP layer gives each request one (`Database.$acquireBudget`).
public final class AcquireBudget: Sendable {
    private let spent = Mutex(Duration.zero)
    static let floor = Duration.milliseconds(100)

    public init() {}

    func limit(_ timeout: Duration) -> Duration {
        max(Self.floor, timeout - spent.withLock { $0 })
    }

    func spend(_ waited: Duration) {
        spent.withLock { $0 += waited }
    }
}

extension Database {
    @TaskLocal public static var acquireBudget: AcquireBudget?
}

/// The database could not be reached in time; the HTTP layer answers 503 with Retry-After.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "database unavailable: \(reason)" }
}

/// Pool figures for Prometheus: postgres-nio keeps its own counts private, so these are counted
/// around every lease.
struct PoolMetrics: Sendable {
    let inUse = Meter(label: "intake_db_pool_connections_in_use")
    let waiting = Meter(label: "intake_db_pool_requests_waiting")
    let acquireTime = Timer(label: "intake_db_pool_acquire_duration", preferredDisplayUnit: .seconds)

    init(maxConnections: Int) {
        Gauge(label: "intake_db_pool_max_connections").record(maxConnections)
    }
}

/// Opens once, for the first of: a connection was leased, the lease failed, time ran out.
final class AcquireGate: Sendable {
    enum Outcome: Sendable { case acquired, failed, timedOut }

    private struct State {
        var outcome: Outcome?
        var waiter: CheckedContinuation<Outcome, Never>?
    }

    private let state = Mutex(State())

    /// True when this call decided the outcome.
    @discardableResult
    func open(_ outcome: Outcome) -> Bool {
        let waiter: CheckedContinuation<Outcome, Never>?? = state.withLock { state in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: outcome)
        return true
    }

    func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            let decided: Outcome? = state.withLock { state in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let decided { continuation.resume(returning: decided) }
        }
    }
}

extension Timer {
    func record(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
