import ArgumentParser
import Foundation
import IntakeCore
import IntakeHTTP
import IntakePayments
import IntakeServices
import IntakeStorage
import IntakeWorker
import Logging
import ServiceLifecycle
import UnixSignals

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the dispatch worker.")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, metrics) = Runtime.bootstrap(config, label: "intake.worker")
        try await Runtime.withDatabase(config, logger: logger) { database in
            try await Runtime.prepareSecrets(database, logger: logger)
            let signals = DispatchSignals()
            var services: [any Service] = [
                DispatchListener(database: database, signals: signals, logger: logger),
                Self.worker(config, database: database, signals: signals, logger: logger),
            ]
            if config.workerMetricsPort != 0 {
                services.append(
                    buildMetricsApplication(
                        host: config.httpHost, port: config.workerMetricsPort, metrics: metrics, database: database, logger: logger))
            }
            try await ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        }
        logger.info("stopped")
    }

    /// The dispatch loop with its housekeeping. Each process has its own HTTP client, shut
    /// down when the loop ends.
    static func worker(_ config: IntakeConfig, database: Database, signals: DispatchSignals, logger: Logger) -> DispatchWorker {
        let queue = PushQueue(database: database, logger: logger)
        let destinations = DestinationStore(database: database, logger: logger)
        let sender = Sender(
            client: Sender.makeClient(connectionsPerHost: config.workerLanes * config.workerBatchSize), addressGuard: DestinationAddressGuard(allowPrivate: config.allowPrivateDestinations))
        let dispatcher = Dispatcher(
            queue: queue, destinations: destinations,
            messages: QueueMessages(database: database, logger: logger, baseURL: config.publicBaseURL),
            sender: sender, batchSize: config.workerBatchSize, leaseMargin: config.workerLeaseMargin,
            workerID: workerID(), logger: logger)
        let maintenance = Maintenance(
            reports: ReportStore(database: database, logger: logger),
            idempotency: IdempotencyStore(database: database, logger: logger),
            media: MediaStore(database: database, logger: logger), queue: queue, destinations: destinations,
            payments: PaymentService(database: database, config: config, logger: logger),
            contactRetentionDays: config.contactRetentionDays, logger: logger)
        return DispatchWorker(
            pollInterval: config.workerPollInterval, lanes: config.workerLanes, doorbell: signals.any, logger: logger,
            pass: {
                do { try await maintenance.runIfDue() } catch {
                    logger.error("maintenance failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
                }
                return try await dispatcher.runOnce()
            },
            onStop: { await sender.shutdown() })
    }

    /// Names the lease holder in the jobs table, for operators: host and process id.
    static func workerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
