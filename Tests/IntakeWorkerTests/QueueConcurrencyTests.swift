import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Synchronization
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// The queue's guarantees under concurrency, against the real database.
@Suite(.timeLimit(.minutes(3))) struct QueueConcurrencyTests {
    @Test func twentyConcurrentClaimersNeverLeaseTwoJobsOfOneCaseAndKeepItsOrder() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            var reports: [UUID] = []
            for index in 0..<15 {
                let id = try await DispatchFixtures.report(world.database, description: "Case \(index)")
                for comment in 0..<3 { try await DispatchFixtures.comment(world.database, id, "Comment \(comment)") }
                reports.append(id)
            }
            let total = 15 * 4
            let tracker = Tracker()
            let queue = world.queue
            try await withThrowingTaskGroup(of: Void.self) { group in
                for claimer in 0..<20 {
                    group.addTask {
                        var idle = 0
                        while idle < 20 {
                            let jobs = try await queue.claim(limit: 3, leaseMargin: 30, workerID: "claimer-\(claimer)")
                            if jobs.isEmpty {
                                idle += 1
                                try await Task.sleep(for: .milliseconds(20))
                                continue
                            }
                            idle = 0
                            for job in jobs {
                                let fresh = tracker.inFlight.withLock { $0.insert(job.reportID!).inserted }
                                if !fresh { tracker.violations.withLock { $0 += 1 } }
                            }
                            try await Task.sleep(for: .milliseconds(Int.random(in: 1...8)))
                            for job in jobs {
                                tracker.completed.withLock { $0[job.reportID!, default: []].append(job.id) }
                                tracker.inFlight.withLock { _ = $0.remove(job.reportID!) }
                            }
                            try await queue.complete(
                                jobs.map {
                                    PushQueue.Completion(
                                        job: $0,
                                        outcome: .init(kind: .delivered, delaySeconds: 0, error: nil),
                                        result: .init(statusCode: 200, durationMilliseconds: 1),
                                        startedAt: Date()
                                    )
                                }
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(tracker.violations.withLock { $0 } == 0)
            let order = tracker.completed.withLock { $0 }
            #expect(order.values.reduce(0) { $0 + $1.count } == total)
            for report in reports {
                let ids = order[report] ?? []
                #expect(ids.count == 4)
                #expect(ids == ids.sorted(), "case \(report) was delivered out of order")
            }
            #expect(try await world.jobStates().allSatisfy { $0 == "done" })
        }
    }

    final class Tracker: Sendable {
        let inFlight = Mutex<Set<UUID>>([])
        let violations = Mutex(0)
        let completed = Mutex<[UUID: [Int64]]>([:])
    }

    @Test func aClaimGivesADestinationNoMoreThanItsRoom() async throws {
        try await DispatchWorld.run { world in
            let destination = try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            for index in 0..<5 { try await DispatchFixtures.report(world.database, description: "Case \(index)") }
            // Three per destination, one already in flight: two more, the oldest.
            let first = try await world.queue.claim(
                limit: 10,
                leaseMargin: 30,
                workerID: "test",
                perDestination: 3,
                inFlight: [destination.id: 1]
            )
            #expect(first.count == 2)
            // At its cap it gets none; the others stay due.
            let none = try await world.queue.claim(
                limit: 10,
                leaseMargin: 30,
                workerID: "test",
                perDestination: 3,
                inFlight: [destination.id: 3]
            )
            #expect(none.isEmpty)
            let rest = try await world.queue.claim(limit: 10, leaseMargin: 30, workerID: "test")
            #expect(rest.count == 3)
            #expect((first + rest).map(\.id) == (first + rest).map(\.id).sorted())
        }
    }

    @Test func theSameOutboxRowWrittenTwiceIsOneJob() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.report(world.database)
            let insertAgain = """
                INSERT INTO dispatch_jobs (report_id, event_id, event_type)
                SELECT report_id, event_id, event_type FROM dispatch_jobs
                """
            await #expect(throws: (any Error).self) { try await world.execute(insertAgain) }
            #expect(try await world.scalar("SELECT count(*)::int FROM dispatch_jobs", as: Int.self) == 1)
        }
    }

    @Test func deliveredJobsArePrunedAfterADayAndDeadOnesKept() async throws {
        try await DispatchWorld.run { world in
            for _ in 0..<3 { try await DispatchFixtures.report(world.database) }
            try await world.execute(
                """
                UPDATE dispatch_jobs SET state = CASE WHEN id = (SELECT min(id) FROM dispatch_jobs) THEN 'dead' ELSE 'done' END,
                    finished_at = now() - interval '25 hours'
                """
            )
            try await world.execute("UPDATE dispatch_jobs SET finished_at = now() WHERE id = (SELECT max(id) FROM dispatch_jobs)")
            #expect(try await world.queue.prune() == 1)
            #expect(try await world.jobStates() == ["dead", "done"])
        }
    }

    @Test func theWorkerWakesOnANotification() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            let signals = DispatchSignals()
            // A poll interval far longer than the test: only the notification can wake it.
            try await runWorker(world, pollInterval: .seconds(60), doorbell: signals.any, listener: signals) {
                try await Task.sleep(for: .milliseconds(500))
                try await DispatchFixtures.report(world.database)
                #expect(await world.receiver.waitForRequests(1, timeout: .seconds(10)).count == 1)
            }
        }
    }

    @Test func whenNotificationsGoSilentThePollStillDelivers() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            // A doorbell nothing rings: as if the LISTEN connection had gone quiet.
            try await runWorker(world, pollInterval: .milliseconds(300), doorbell: Doorbell(), listener: nil) {
                try await Task.sleep(for: .milliseconds(500))
                try await DispatchFixtures.report(world.database)
                #expect(await world.receiver.waitForRequests(1, timeout: .seconds(10)).count == 1)
            }
        }
    }

    func runWorker(
        _ world: DispatchWorld,
        pollInterval: Duration,
        doorbell: Doorbell,
        listener: DispatchSignals?,
        _ body: @Sendable () async throws -> Void
    ) async throws {
        let worker = DispatchWorker(
            pollInterval: pollInterval,
            lanes: 1,
            doorbell: doorbell,
            logger: .quiet,
            pass: { lane in try await world.dispatcher.run(in: lane) }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            if let listener {
                group.addTask { try await DispatchListener(database: world.database, onJob: listener.ring(payload:), logger: .quiet).run() }
            }
            try await body()
            group.cancelAll()
        }
    }
}
