import IntakeStorage
import Logging
import ServiceLifecycle

/// The background loop that dispatches cases to back offices.
///
/// `lanes` loops run side by side, each doing a pass and, when a pass found nothing, waiting
/// for a notification or the poll interval (the poll is the backstop when notifications are
/// lost). On graceful shutdown a lane finishes the pass in hand — deliveries under way
/// complete and are recorded — then stops. It keeps no state between passes, so any number of
/// workers can share one database.
public struct DispatchWorker: Service {
    public typealias Pass = @Sendable () async throws -> Int

    let pollInterval: Duration
    let lanes: Int
    let doorbell: Doorbell?
    let logger: Logger
    let pass: Pass
    let onStop: @Sendable () async -> Void

    /// `pass` does one round of work and returns how many jobs it handled; when it handled
    /// any, the next pass starts at once instead of waiting.
    public init(
        pollInterval: Duration, lanes: Int = 1, doorbell: Doorbell? = nil, logger: Logger, pass: @escaping Pass,
        onStop: @escaping @Sendable () async -> Void = {}
    ) {
        self.pollInterval = pollInterval
        self.lanes = max(lanes, 1)
        self.doorbell = doorbell
        self.logger = logger
        self.pass = pass
        self.onStop = onStop
    }

    public func run() async throws {
        logger.info("worker started", metadata: ["poll_interval": "\(pollInterval)", "lanes": "\(lanes)"])
        await withDiscardingTaskGroup { group in
            for _ in 0..<lanes {
                group.addTask { await self.lane() }
            }
        }
        await onStop()
        logger.info("worker stopped")
    }

    private func lane() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let generation = doorbell?.generation ?? 0
            var handled = 0
            do {
                handled = try await pass()
            } catch {
                logger.error("worker pass failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
            }
            if handled > 0 { continue }
            // Wakes early on shutdown: the wait is cancelled and the loop condition ends it.
            try? await cancelWhenGracefulShutdown { [doorbell, pollInterval] in
                if let doorbell {
                    await doorbell.wait(after: generation, timeout: pollInterval)
                } else {
                    try await Task.sleep(for: pollInterval)
                }
            }
        }
    }
}
