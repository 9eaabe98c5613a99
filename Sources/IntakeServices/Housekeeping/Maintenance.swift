import IntakeStorage
import Logging
import Synchronization

/// Housekeeping the worker does between dispatch passes: erasing contact details of reports
/// closed longer than the retention period, forgetting idempotency keys after 48 hours,
/// deleting photos never attached to a report after 24 hours, pruning delivered jobs after 24
/// hours and attempt records after 7 days, routing jobs whose council had no destination
/// for them when they were written, and expiring payment intents left unpaid (after asking
/// their provider), queueing alerts' daily digests, and the message log's retention (no address
/// kept 30 days after its message; ended alert subscriptions gone 30 days after).
/// Safe with many workers: each step skips rows another worker holds, or is idempotent.
public final class Maintenance: Sendable {
    let reports: ReportStore
    let idempotency: IdempotencyStore
    let media: MediaStore
    let queue: PushQueue?
    let destinations: DestinationStore?
    let payments: PaymentService?
    let notifications: NotificationStore?
    let staff: StaffStore?
    let contactRetentionDays: Int
    let interval: Duration
    let logger: Logger
    private let lastRun = Mutex<ContinuousClock.Instant?>(nil)

    /// The smallest batch of any step (the payment expiry sweep's; contact erasure takes 250): a
    /// run that changes fewer rows found no backlog.
    public static let smallestBatch = min(PaymentService.expiryBatch, ReportStore.erasureBatch)

    public init(
        reports: ReportStore,
        idempotency: IdempotencyStore,
        media: MediaStore,
        queue: PushQueue? = nil,
        destinations: DestinationStore? = nil,
        payments: PaymentService? = nil,
        notifications: NotificationStore? = nil,
        staff: StaffStore? = nil,
        contactRetentionDays: Int,
        interval: Duration = .seconds(60),
        logger: Logger
    ) {
        self.payments = payments
        self.notifications = notifications
        self.staff = staff
        self.queue = queue
        self.destinations = destinations
        self.reports = reports
        self.idempotency = idempotency
        self.media = media
        self.contactRetentionDays = contactRetentionDays
        self.interval = interval
        self.logger = logger
    }

    /// Runs the housekeeping if `interval` has passed since the last run; returns rows changed.
    @discardableResult
    public func runIfDue() async throws -> Int {
        let now = ContinuousClock.now
        let due = lastRun.withLock { last in
            guard last.map({ now - $0 >= interval }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return 0 }
        return try await run()
    }

    public func run() async throws -> Int {
        let erased = try await reports.eraseExpiredContacts(afterDays: contactRetentionDays)
        let pruned = try await idempotency.prune()
        let photos = try await media.pruneUnattached()
        let jobs = try await queue?.prune() ?? 0
        try await destinations?.routeWaitingJobs()
        let expired = try await payments?.expireDue() ?? 0
        let events = try await payments?.pruneProviderEvents() ?? 0
        let digests = try await notifications?.queueDigests() ?? 0
        let messages = try await notifications?.applyRetention() ?? 0
        let sessions = try await staff?.pruneSessions() ?? 0
        let resets = try await staff?.pruneResets() ?? 0
        if erased > 0 || pruned > 0 || photos > 0 || jobs > 0 || expired > 0 || events > 0 || digests > 0 || messages > 0 || sessions > 0
            || resets > 0
        {
            logger.info(
                "maintenance",
                metadata: [
                    "contacts_erased": "\(erased)", "idempotency_keys_pruned": "\(pruned)", "unattached_photos_deleted": "\(photos)",
                    "dispatch_rows_pruned": "\(jobs)", "payment_intents_expired": "\(expired)",
                    "provider_events_pruned": "\(events)", "alert_digests_queued": "\(digests)",
                    "notification_rows_retired": "\(messages)", "staff_sessions_expired": "\(sessions)",
                    "staff_resets_pruned": "\(resets)",
                ]
            )
        }
        return erased + pruned + photos + jobs + expired + events + digests + messages + sessions + resets
    }
}
