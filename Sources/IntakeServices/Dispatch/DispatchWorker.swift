import IntakeStorage
import Logging
import ServiceLifecycle

/// The background loop that dispatches cases to back offices.
///
/// `lanes` loops run side by side, each with its calls in flight (`DispatchLane`): a pass claims
/// as many jobs as the lane has free slots and hands their calls to the lane, which runs them
/// beside its next passes, so a call that hangs until its timeout holds one slot, not the lane.
/// When a pass claims nothing the lane waits for a notification, for a slot to be freed (an
/// outcome recorded) or for the poll interval (the poll is the backstop when notifications are
/// lost). On graceful shutdown a lane stops claiming; the calls under way finish or time out
/// and are recorded, then it stops. It keeps no state but those calls, so any number of workers
/// can share one database.
public struct DispatchWorker: Service {
    public typealias Pass = @Sendable (DispatchLane) async throws -> Int

    let pollInterval: Duration
    let lanes: Int
    let doorbell: Doorbell?
    let logger: Logger
    let pass: Pass
    let onStop: @Sendable () async -> Void

    /// `pass` does one round of work in the lane it is given (`Dispatcher.run(in:)` hands the
    /// lane its calls) and returns how many jobs it claimed; when it claimed any, the next pass
    /// starts at once instead of waiting.
    public init(
        pollInterval: Duration,
        lanes: Int = 1,
        doorbell: Doorbell? = nil,
        logger: Logger,
        pass: @escaping Pass,
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
                group.addTask { await self.runLane() }
            }
        }
        await onStop()
        logger.info("worker stopped")
    }

    private func runLane() async {
        let lane = DispatchLane()
        // The group holds the lane's calls across passes; leaving it waits for them to be recorded.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let generation = doorbell?.generation ?? 0
                let freedGeneration = lane.freed.generation
                var handled = 0
                do {
                    handled = try await pass(lane)
                } catch {
                    logger.error("worker pass failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
                }
                lane.startCalls(in: &group)
                if handled > 0 { continue }
                // Wakes early on shutdown: the wait is cancelled and the loop condition ends it.
                await cancelWhenGracefulShutdown { [doorbell, pollInterval] in
                    await withTaskGroup(of: Void.self) { waits in
                        waits.addTask { await lane.freed.wait(after: freedGeneration, timeout: pollInterval) }
                        if let doorbell {
                            waits.addTask { await doorbell.wait(after: generation, timeout: pollInterval) }
                        }
                        await waits.next()
                        waits.cancelAll()
                    }
                }
            }
        }
    }
}
