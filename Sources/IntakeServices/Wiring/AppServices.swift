import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage
import Logging

/// Every store, client and service of one process, built once from its settings and pool: the
/// one place they are wired. `intake serve` hands it to the HTTP application, `intake worker`
/// asks it for the worker, `intake dev` does both with the same value; tests build it too.
///
/// Stores are built here and nowhere else, and only services hold them: the surfaces see the
/// services alone.
public struct AppServices: Sendable {
    public let config: IntakeConfig
    public let database: Database
    public let logger: Logger
    /// Rung by the process's `DispatchListener`; the worker and long-polling receives wait on it.
    public let signals: DispatchSignals
    /// API keys and the routing catalogue; trusted only while the process's listener hears
    /// their change notifications (without one, as in most tests, every read goes to SQL).
    public let caches: ProcessCaches

    // Stores: only services use them (the surfaces reach the database through the services).
    let keys: APIKeyStore
    let auditLog: AuditStore
    let councilStore: CouncilStore
    let boundaries: BoundaryStore
    let categories: CategoryStore
    let routing: RoutingStore
    let reportStore: ReportStore
    let idempotency: IdempotencyStore
    let mediaStore: MediaStore
    let destinations: DestinationStore
    let pushQueue: PushQueue
    let pullQueue: PullQueue
    let queueMessages: QueueMessages
    let paymentIntents: PaymentStore
    let paymentSettings: PaymentSettingsStore
    let sandboxPayments: SandboxPaymentStore
    let open311Store: Open311Store
    let notifySettings: NotifySettingsStore
    let notificationStore: NotificationStore
    let staffStore: StaffStore
    /// Unsubscribe and confirmation links, for the API's answers and the worker's messages.
    let notificationLinks: NotificationLinks

    // Services, one per feature, and the shared steps of requests.
    public let councils: CouncilService
    public let catalogue: CatalogueService
    public let access: AccessService
    public let reports: ReportService
    public let media: MediaService
    public let dispatch: DispatchService
    public let payments: PaymentService
    public let open311: Open311Service
    public let notifications: NotificationService
    public let staff: StaffService
    public let intake: IntakeService
    public let authentication: KeyAuthentication
    public let audit: AuditTrail
    public let routingCatalogue: RoutingCatalogue
    public let idempotent: IdempotentRequests
    public let boundaryImporter: BoundaryImporter

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
        councilStore = CouncilStore(database: database, logger: logger)
        boundaries = BoundaryStore(database: database, logger: logger)
        categories = CategoryStore(database: database, logger: logger)
        routing = RoutingStore(database: database, logger: logger)
        reportStore = ReportStore(database: database, logger: logger)
        idempotency = IdempotencyStore(database: database, logger: logger)
        mediaStore = MediaStore(database: database, logger: logger)
        destinations = DestinationStore(database: database, logger: logger)
        pushQueue = PushQueue(database: database, logger: logger)
        pullQueue = PullQueue(database: database, logger: logger)
        queueMessages = QueueMessages(database: database, logger: logger, baseURL: config.publicBaseURL)
        paymentIntents = PaymentStore(database: database, logger: logger)
        paymentSettings = PaymentSettingsStore(database: database, logger: logger)
        sandboxPayments = SandboxPaymentStore(database: database, logger: logger)
        open311Store = Open311Store(database: database, logger: logger)
        notifySettings = NotifySettingsStore(database: database, logger: logger)
        notificationStore = NotificationStore(database: database, logger: logger, baseURL: config.publicBaseURL)
        staffStore = StaffStore(database: database, logger: logger)
        notificationLinks = NotificationLinks(keyring: config.secrets, baseURL: config.publicBaseURL)

        routingCatalogue = RoutingCatalogue(routing: routing, caches: caches)
        councils = CouncilService(councils: councilStore, boundaries: boundaries, caches: caches)
        catalogue = CatalogueService(categories: categories, catalogue: routingCatalogue, caches: caches)
        access = AccessService(keys: keys, caches: caches)
        reports = ReportService(reports: reportStore)
        media = MediaService(media: mediaStore)
        dispatch = DispatchService(
            destinations: destinations,
            pull: pullQueue,
            messages: queueMessages,
            addressGuard: DestinationAddressGuard(allowPrivate: config.allowPrivateDestinations)
        )
        open311 = Open311Service(store: open311Store)
        notifications = NotificationService(
            settingsStore: notifySettings,
            store: notificationStore,
            reports: reportStore,
            councils: councilStore,
            categories: categories,
            routing: routing,
            links: notificationLinks,
            keyring: config.secrets
        )
        staff = StaffService(store: staffStore, links: notificationLinks, bcryptCost: UInt8(config.staffBcryptCost))
        authentication = KeyAuthentication(store: keys, caches: caches)
        audit = AuditTrail(store: auditLog, councils: councilStore)
        intake = IntakeService(reports: reportStore, catalogue: routingCatalogue)
        idempotent = IdempotentRequests(store: idempotency)
        boundaryImporter = BoundaryImporter(boundaries: boundaries, caches: caches)
        payments = PaymentService(
            payments: paymentIntents,
            settings: paymentSettings,
            govukPay: GovUKPay(baseURL: config.govukPayBaseURL),
            sandbox: SandboxProvider(store: sandboxPayments, baseURL: config.publicBaseURL),
            sandboxPayments: sandboxPayments,
            expiry: .seconds(config.paymentExpiryMinutes * 60),
            logger: logger
        )
    }

    /// The dispatch loop with its housekeeping. Each worker has its own HTTP client, with as
    /// many connections per host as it can have calls in flight, shut down when the loop ends.
    public func worker(workerID: String = AppServices.workerID()) -> DispatchWorker {
        let sender = Sender(
            client: Sender.makeClient(connectionsPerHost: config.workerLanes * config.workerBatchSize),
            addressGuard: dispatch.addressGuard
        )
        let dispatcher = dispatcher(sender: sender, workerID: workerID)
        let maintenance = maintenance()
        let logger = logger
        return DispatchWorker(
            pollInterval: config.workerPollInterval,
            lanes: config.workerLanes,
            doorbell: signals.any,
            logger: logger,
            pass: { lane in
                do { try await maintenance.runIfDue() } catch {
                    logger.error("maintenance failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
                }
                return try await dispatcher.run(in: lane)
            },
            onStop: { await sender.shutdown() }
        )
    }

    /// The dispatcher a worker's lanes run: case events, payments and messages to people.
    func dispatcher(sender: Sender, workerID: String) -> Dispatcher {
        let outbox = NotificationOutbox(
            store: notificationStore,
            settings: notifySettings,
            sender: NotificationSender(notifyBaseURL: config.govukNotifyBaseURL, webhooks: sender),
            links: notificationLinks
        )
        return Dispatcher(
            queue: pushQueue,
            destinations: destinations,
            messages: queueMessages,
            sender: sender,
            notifications: outbox,
            batchSize: config.workerBatchSize,
            leaseMargin: config.workerLeaseMargin,
            workerID: workerID,
            logger: logger
        )
    }

    /// The worker's housekeeping.
    public func maintenance() -> Maintenance {
        Maintenance(
            reports: reportStore,
            idempotency: idempotency,
            media: mediaStore,
            queue: pushQueue,
            destinations: destinations,
            payments: payments,
            notifications: notificationStore,
            staff: staffStore,
            contactRetentionDays: config.contactRetentionDays,
            logger: logger
        )
    }

    /// One dispatch pass on its own, waiting for its calls (tests and tools): returns how many
    /// jobs it claimed.
    public func dispatchOnce() async throws -> Int {
        let sender = Sender(client: Sender.makeClient(), addressGuard: dispatch.addressGuard)
        do {
            let claimed = try await dispatcher(sender: sender, workerID: "one-off").runOnce()
            await sender.shutdown()
            return claimed
        } catch {
            await sender.shutdown()
            throw error
        }
    }

    /// Names the lease holder in the jobs table, for operators: host and process id.
    public static func workerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
