import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage
import Logging

/// Every store, client and service of one process, built once from its settings and pool: the
/// one place they are wired. `intake serve` hands it to the HTTP application, `intake worker`
/// asks it for the worker, `intake dev` does both with the same value; tests build it too.
///
/// Stores are built here and nowhere else. Some surfaces still read a few of them directly
/// (listed in docs/ARCHITECTURE.md under "Still to move behind services").
public struct AppServices: Sendable {
    public let config: IntakeConfig
    public let database: Database
    public let logger: Logger
    /// Rung by the process's `DispatchListener`; the worker and long-polling receives wait on it.
    public let signals: DispatchSignals
    /// API keys and the routing catalogue; trusted only while the process's listener hears
    /// their change notifications (without one, as in most tests, every read goes to SQL).
    public let caches: ProcessCaches

    // Stores.
    public let keys: APIKeyStore
    public let auditLog: AuditStore
    public let councils: CouncilStore
    public let boundaries: BoundaryStore
    public let categories: CategoryStore
    public let routing: RoutingStore
    public let reports: ReportStore
    public let idempotency: IdempotencyStore
    public let media: MediaStore
    public let destinations: DestinationStore
    public let pushQueue: PushQueue
    public let pullQueue: PullQueue
    public let queueMessages: QueueMessages
    public let paymentIntents: PaymentStore
    public let paymentSettings: PaymentSettingsStore
    public let sandboxPayments: SandboxPaymentStore
    public let open311: Open311Store

    // Services.
    public let authentication: KeyAuthentication
    public let audit: AuditTrail
    public let catalogue: RoutingCatalogue
    public let intake: IntakeService
    public let idempotent: IdempotentRequests
    public let payments: PaymentService

    public init(
        config: IntakeConfig,
        database: Database,
        logger: Logger,
        signals: DispatchSignals = DispatchSignals(),
        caches: ProcessCaches = ProcessCaches()
    ) {
        self.config = config
        self.database = database
        self.logger = logger
        self.signals = signals
        self.caches = caches

        keys = APIKeyStore(database: database, logger: logger)
        auditLog = AuditStore(database: database, logger: logger)
        councils = CouncilStore(database: database, logger: logger)
        boundaries = BoundaryStore(database: database, logger: logger)
        categories = CategoryStore(database: database, logger: logger)
        routing = RoutingStore(database: database, logger: logger)
        reports = ReportStore(database: database, logger: logger)
        idempotency = IdempotencyStore(database: database, logger: logger)
        media = MediaStore(database: database, logger: logger)
        destinations = DestinationStore(database: database, logger: logger)
        pushQueue = PushQueue(database: database, logger: logger)
        pullQueue = PullQueue(database: database, logger: logger)
        queueMessages = QueueMessages(database: database, logger: logger, baseURL: config.publicBaseURL)
        paymentIntents = PaymentStore(database: database, logger: logger)
        paymentSettings = PaymentSettingsStore(database: database, logger: logger)
        sandboxPayments = SandboxPaymentStore(database: database, logger: logger)
        open311 = Open311Store(database: database, logger: logger)

        authentication = KeyAuthentication(store: keys, caches: caches)
        audit = AuditTrail(store: auditLog, councils: councils)
        catalogue = RoutingCatalogue(routing: routing, caches: caches)
        intake = IntakeService(reports: reports, catalogue: catalogue)
        idempotent = IdempotentRequests(store: idempotency)
        payments = PaymentService(
            payments: paymentIntents,
            settings: paymentSettings,
            govukPay: GovUKPay(baseURL: config.govukPayBaseURL),
            sandbox: SandboxProvider(store: sandboxPayments, baseURL: config.publicBaseURL),
            expiry: .seconds(config.paymentExpiryMinutes * 60),
            logger: logger
        )
    }

    /// Checks destination addresses before every connection (and when they are saved).
    var addressGuard: DestinationAddressGuard {
        DestinationAddressGuard(allowPrivate: config.allowPrivateDestinations)
    }

    /// Why `url` may not be saved as a destination (it is, or resolves to, an address inside the
    /// network, unless `DESTINATIONS_ALLOW_PRIVATE`), or nil.
    public func destinationAddressProblem(_ url: String) async -> String? {
        await addressGuard.problemOnSave(url)
    }

    /// The dispatch loop with its housekeeping. Each worker has its own HTTP client, with as
    /// many connections per host as it can have calls in flight, shut down when the loop ends.
    public func worker(workerID: String = AppServices.workerID()) -> DispatchWorker {
        let sender = Sender(
            client: Sender.makeClient(connectionsPerHost: config.workerLanes * config.workerBatchSize),
            addressGuard: addressGuard
        )
        let dispatcher = Dispatcher(
            queue: pushQueue,
            destinations: destinations,
            messages: queueMessages,
            sender: sender,
            batchSize: config.workerBatchSize,
            leaseMargin: config.workerLeaseMargin,
            workerID: workerID,
            logger: logger
        )
        let maintenance = Maintenance(
            reports: reports,
            idempotency: idempotency,
            media: media,
            queue: pushQueue,
            destinations: destinations,
            payments: payments,
            contactRetentionDays: config.contactRetentionDays,
            logger: logger
        )
        let logger = logger
        return DispatchWorker(
            pollInterval: config.workerPollInterval,
            lanes: config.workerLanes,
            doorbell: signals.any,
            logger: logger,
            pass: {
                do { try await maintenance.runIfDue() } catch {
                    logger.error("maintenance failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
                }
                return try await dispatcher.runOnce()
            },
            onStop: { await sender.shutdown() }
        )
    }

    /// Names the lease holder in the jobs table, for operators: host and process id.
    public static func workerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
