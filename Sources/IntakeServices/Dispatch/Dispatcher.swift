import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage
import Logging
import Metrics

/// Claims due push jobs, makes their calls (outside any transaction) and records each outcome
/// as soon as its call ends. In a worker lane (`run(in:)`) a pass claims only what
/// the lane has room for and leaves the calls to the lane, so a call that hangs until its
/// timeout holds one slot while the lane goes on claiming and delivering; on its own (tests, a
/// one-off pass) a pass waits for its calls. Nothing is held but leases: a worker killed
/// mid-call leaves leases that expire and are claimed again.
public struct Dispatcher: Sendable {
    let queue: PushQueue
    let destinations: DestinationStore
    let messages: QueueMessages
    let sender: Sender
    /// Messages to people travel the same queue (a council's `notify` destination).
    let notifications: NotificationOutbox?
    let schedule: RetrySchedule
    /// The calls a lane keeps in flight (`WORKER_BATCH_SIZE`).
    let batchSize: Int
    let leaseMargin: Double
    let workerID: String
    let logger: Logger

    public init(
        queue: PushQueue,
        destinations: DestinationStore,
        messages: QueueMessages,
        sender: Sender,
        notifications: NotificationOutbox? = nil,
        schedule: RetrySchedule = .standard,
        batchSize: Int,
        leaseMargin: Double,
        workerID: String,
        logger: Logger
    ) {
        self.queue = queue
        self.destinations = destinations
        self.messages = messages
        self.sender = sender
        self.notifications = notifications
        self.schedule = schedule
        self.batchSize = batchSize
        self.leaseMargin = leaseMargin
        self.workerID = workerID
        self.logger = logger
    }

    /// How long an outcome waits for others to share its statement.
    static let gathering = Duration.milliseconds(5)

    /// No destination may hold more than half a lane's slots, so one whose calls all hang
    /// leaves the other half to everyone else. (The price: one destination alone gets half the
    /// calls a worker could make; `WORKER_BATCH_SIZE` raises both.)
    var perDestination: Int { max(batchSize / 2, 1) }

    /// One pass in a worker's lane: claims as many due jobs as the lane has free slots and hands
    /// their calls to it (they are under way when this returns). Returns how many it claimed.
    public func run(in lane: DispatchLane) async throws -> Int { try await fill(lane) }

    /// One pass on its own (tests, tools): a lane of its own, left once every call it was given
    /// is recorded. Returns how many jobs it claimed.
    public func runOnce() async throws -> Int {
        let lane = DispatchLane()
        let claimed = try await fill(lane)
        await withDiscardingTaskGroup { group in lane.startCalls(in: &group) }
        return claimed
    }

    /// Claims as many due jobs as `lane` has free slots and hands their calls to it.
    func fill(_ lane: DispatchLane) async throws -> Int {
        let (free, inFlight) = lane.load(of: batchSize)
        // A busy lane refills by the quarter: a claim for every freed slot would cost a statement
        // per delivery under load. An idle lane claims at once.
        guard free > 0, free == batchSize || free >= max(batchSize / 4, 1) else { return 0 }
        let jobs = try await queue.claim(
            limit: free,
            leaseMargin: leaseMargin,
            workerID: workerID,
            perDestination: perDestination,
            inFlight: inFlight
        )
        guard !jobs.isEmpty else { return 0 }
        let targets = try await destinations.find(ids: Array(Set(jobs.map(\.destinationID))))
        let messageJobs = jobs.filter { $0.notificationID != nil }
        let built = try await messages.build(
            jobs.filter { $0.notificationID == nil }.map {
                .init(
                    messageID: $0.messageID,
                    eventType: $0.eventType,
                    reportID: $0.reportID,
                    eventID: $0.eventID,
                    paymentIntentID: $0.paymentIntentID
                )
            }
        )
        let prepared = try await notifications?.prepare(messageJobs.compactMap(\.notificationID)) ?? [:]
        for job in jobs {
            let destination = targets[job.destinationID]
            let call: @Sendable () async -> DeliveryResult
            if let notificationID = job.notificationID {
                let outbox = notifications
                let message = prepared[notificationID]
                call = {
                    guard let outbox else {
                        return DeliveryResult(statusCode: nil, error: "this worker does not send notifications", durationMilliseconds: 0)
                    }
                    return await outbox.send(message, timeoutSeconds: destination?.timeoutSeconds ?? 10)
                }
            } else {
                let message = built[job.messageID]
                call = { [sender] in
                    guard let destination, let message else {
                        return DeliveryResult(
                            statusCode: nil,
                            error: "the case (or payment) or its destination no longer exists",
                            durationMilliseconds: 0
                        )
                    }
                    return await sender.deliver(message, to: destination, open311Token: job.open311Token)
                }
            }
            lane.handOver(destinationID: job.destinationID) {
                let completion = await attempt(job, maxAttempts: destination?.maxAttempts, call: call)
                await finish(completion, destination: destination, in: lane)
            }
        }
        return jobs.count
    }

    /// Makes one call and decides what follows it.
    func attempt(
        _ job: PushQueue.Job,
        maxAttempts: Int?,
        call: @Sendable () async -> DeliveryResult
    ) async
        -> PushQueue.Completion
    {
        let startedAt = Date()
        let result = await call()
        var random = SystemRandomNumberGenerator()
        let outcome = DeliveryOutcome.decide(
            result,
            attempt: job.attempt,
            maxAttempts: maxAttempts ?? job.attempt,
            schedule: schedule,
            using: &random
        )
        return PushQueue.Completion(job: job, outcome: outcome, result: result, startedAt: startedAt)
    }

    /// Records a finished call's outcome at once, or, while the lane is writing others, in its
    /// next statement with every outcome that finished meanwhile: an outcome waits for a
    /// statement, never for a call still under way.
    func finish(_ completion: PushQueue.Completion, destination: Destination?, in lane: DispatchLane) async {
        guard lane.queueForRecording(completion, destination: destination) else { return }
        // A moment for the calls ending about now to join this statement: one statement per
        // outcome would cost the database a round trip per delivery under load.
        try? await Task.sleep(for: Self.gathering)
        while let outcomes = lane.nextToRecord() {
            do {
                try await record(outcomes.completions, destinations: outcomes.destinations)
            } catch {
                // Their leases expire and the jobs are delivered again (at least once).
                logger.error(
                    "recording delivery outcomes failed",
                    metadata: ["error": .string(DatabaseErrors.summary(error)), "jobs": "\(outcomes.completions.count)"]
                )
            }
            lane.release(outcomes.completions)
        }
    }

    /// Records outcomes, retrying while the database is unreachable: the deliveries happened,
    /// and recording them beats redelivering. If it never succeeds, the leases expire and the
    /// jobs are delivered again (at least once). An error that is not the connection's (one
    /// outcome the database refuses) is not retried as a whole: each outcome is recorded on its
    /// own, so one destination's odd answer costs no other destination its record.
    func record(_ completions: [PushQueue.Completion], destinations targets: [UUID: Destination]) async throws {
        var delay = Duration.milliseconds(100)
        var tries = 0
        while true {
            do {
                try await queue.complete(completions)
                break
            } catch  where !DatabaseErrors.isUnavailable(error) && completions.count > 1 {
                var refused: (any Error)?
                for completion in completions {
                    do { try await record([completion], destinations: targets) } catch { refused = error }
                }
                if let refused { throw refused }
                return
            } catch {
                tries += 1
                if tries >= 8 || !DatabaseErrors.isUnavailable(error) { throw error }
                logger.warning(
                    "recording delivery outcomes failed; retrying",
                    metadata: ["error": .string(DatabaseErrors.summary(error)), "try": "\(tries)"]
                )
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        for completion in completions {
            let destination = targets[completion.job.destinationID]
            let kind = destination?.kind.rawValue ?? "unknown"
            Counter(
                label: "intake_dispatch_attempts_total",
                dimensions: [("kind", kind), ("outcome", completion.outcome.kind.rawValue)]
            ).increment()
            Timer(label: "intake_dispatch_attempt_duration_seconds", dimensions: [("kind", kind)], preferredDisplayUnit: .seconds)
                .recordMilliseconds(completion.result.durationMilliseconds)
            if completion.outcome.kind != .delivered {
                logger.notice(
                    "delivery not accepted",
                    metadata: [
                        "message_id": "\(completion.job.messageID)", "destination": "\(destination?.name ?? "?")",
                        "council": "\(destination?.council.slug ?? "?")", "attempt": "\(completion.job.attempt)",
                        "outcome": "\(completion.outcome.kind.rawValue)", "error": "\(completion.outcome.error ?? "")",
                    ]
                )
            }
        }
    }
}
