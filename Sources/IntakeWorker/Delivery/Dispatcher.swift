import Foundation
import IntakeCore
import IntakeStorage
import Logging
import Metrics

/// One dispatch pass: claim a batch of due push jobs, deliver them all concurrently (outside any
/// transaction), then record every outcome in one statement. The pass holds nothing afterwards,
/// so a worker that stops between passes leaves nothing behind; one killed mid-pass leaves
/// leases that expire and are claimed again.
public struct Dispatcher: Sendable {
    let queue: PushQueue
    let destinations: DestinationStore
    let messages: QueueMessages
    let sender: Sender
    let schedule: RetrySchedule
    let batchSize: Int
    let leaseMargin: Double
    let workerID: String
    let logger: Logger

    public init(
        queue: PushQueue, destinations: DestinationStore, messages: QueueMessages, sender: Sender,
        schedule: RetrySchedule = .standard, batchSize: Int, leaseMargin: Double, workerID: String, logger: Logger
    ) {
        self.queue = queue
        self.destinations = destinations
        self.messages = messages
        self.sender = sender
        self.schedule = schedule
        self.batchSize = batchSize
        self.leaseMargin = leaseMargin
        self.workerID = workerID
        self.logger = logger
    }

    /// Returns how many jobs the pass handled.
    public func runOnce() async throws -> Int {
        let jobs = try await queue.claim(limit: batchSize, leaseMargin: leaseMargin, workerID: workerID)
        guard !jobs.isEmpty else { return 0 }
        let targets = try await destinations.find(ids: Array(Set(jobs.map(\.destinationID))))
        let built = try await messages.build(
            jobs.map {
                .init(
                    messageID: $0.messageID, eventType: $0.eventType, reportID: $0.reportID, eventID: $0.eventID,
                    paymentIntentID: $0.paymentIntentID)
            })

        let completions = await withTaskGroup(of: PushQueue.Completion.self) { group in
            for job in jobs {
                group.addTask { [sender, schedule] in
                    let startedAt = Date()
                    let result: DeliveryResult
                    if let destination = targets[job.destinationID], let message = built[job.messageID] {
                        result = await sender.deliver(job, to: destination, message: message)
                    } else {
                        result = DeliveryResult(statusCode: nil, error: "the case (or payment) or its destination no longer exists", durationMilliseconds: 0)
                    }
                    let maxAttempts = targets[job.destinationID]?.maxAttempts ?? job.attempt
                    var random = SystemRandomNumberGenerator()
                    let outcome = DeliveryOutcome.decide(
                        result, attempt: job.attempt, maxAttempts: maxAttempts, schedule: schedule, using: &random)
                    return PushQueue.Completion(job: job, outcome: outcome, result: result, startedAt: startedAt)
                }
            }
            var all: [PushQueue.Completion] = []
            for await completion in group { all.append(completion) }
            return all
        }
        try await record(completions, destinations: targets)
        return jobs.count
    }

    /// Records outcomes, retrying while the database is unreachable: the deliveries happened,
    /// and recording them beats redelivering. If it never succeeds, the leases expire and the
    /// jobs are delivered again (at least once).
    func record(_ completions: [PushQueue.Completion], destinations targets: [UUID: Destination]) async throws {
        var delay = Duration.milliseconds(100)
        var tries = 0
        while true {
            do {
                try await queue.complete(completions)
                break
            } catch {
                tries += 1
                if tries >= 8 { throw error }
                logger.warning(
                    "recording delivery outcomes failed; retrying",
                    metadata: ["error": .string(DatabaseErrors.summary(error)), "try": "\(tries)"])
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
                    ])
            }
        }
    }
}
