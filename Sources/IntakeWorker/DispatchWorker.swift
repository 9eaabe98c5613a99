import IntakeStorage
import Logging
import ServiceLifecycle

/// The background loop that dispatches cases to back offices.
///
/// Each pass asks the database for due work; between passes it sleeps for the poll interval.
/// On graceful shutdown it finishes the pass in hand and returns. It keeps no state between
/// passes, so any number of workers can share one database.
public struct DispatchWorker: Service {
    public typealias Pass = @Sendable () async throws -> Int

    let pollInterval: Duration
    let logger: Logger
    let pass: Pass

    /// `pass` does one round of work and returns how many jobs it handled; when it handled
    /// any, the next pass starts at once instead of sleeping.
    public init(pollInterval: Duration, logger: Logger, pass: @escaping Pass) {
        self.pollInterval = pollInterval
        self.logger = logger
        self.pass = pass
    }

    public func run() async throws {
        logger.info("worker started", metadata: ["poll_interval": "\(pollInterval)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var handled = 0
            do {
                handled = try await pass()
            } catch {
                logger.error("worker pass failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
            }
            if handled > 0 { continue }
            // Wakes early on shutdown: the sleep is cancelled and the loop condition ends it.
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: pollInterval)
            }
        }
        logger.info("worker stopped")
    }
}
