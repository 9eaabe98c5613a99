import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// A destination whose calls hang until their timeout, beside a healthy one: the hanging call
/// holds a slot of the lane, not the lane, against the real database.
@Suite(.timeLimit(.minutes(3))) struct HangingDestinationTests {
    /// Far longer than the healthy deliveries can take, so the order asserted below cannot
    /// flake; the test never waits it out (stopping the worker cancels the call).
    static let timeout = 20

    @Test func aHangingCallDoesNotHoldUpTheLanesOtherDeliveries() async throws {
        // Plumstead's endpoint answers only after the call has timed out.
        let hanging = try await HTTPReceiver.start { _, _ in .init(status: 204, delay: .seconds(Self.timeout + 1)) }
        do {
            try await DispatchWorld.run { world in
                let healthy = try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
                let slow = try await Self.plumsteadDestination(world.database, url: hanging.url)
                // The hanging job is the oldest: one claim takes it and the first healthy job together.
                try await DispatchFixtures.plumsteadReport(world.database)
                try await DispatchFixtures.report(world.database, description: "Claimed beside the hanging call.")
                let worker = DispatchWorker(
                    pollInterval: .milliseconds(100),
                    lanes: 1,
                    logger: .quiet,
                    pass: { lane in try await world.dispatcher.run(in: lane) }
                )
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await worker.run() }
                    let arrived = await hanging.waitForRequests(1, timeout: .seconds(10))
                    try #require(arrived.count == 1, "the hanging call never started")
                    // New cases while the call hangs: claimed into the lane's free slots.
                    for index in 1...3 {
                        try await DispatchFixtures.report(world.database, description: "Case \(index) during the hang.")
                    }
                    let delivered = try await Self.eventually(within: .seconds(60)) {
                        try await world.scalar(
                            "SELECT count(*)::int FROM dispatch_jobs WHERE destination_id = '\(healthy.id)' AND state = 'done'",
                            as: Int.self
                        ) == 4
                    }
                    #expect(delivered)
                    // All four were delivered and recorded while the hanging call was still under way.
                    #expect(
                        try await world.scalar(
                            "SELECT state FROM dispatch_jobs WHERE destination_id = '\(slow.id)'",
                            as: String.self
                        ) == "running"
                    )
                    #expect(
                        try await world.scalar(
                            "SELECT count(*)::int FROM dispatch_attempts WHERE destination_id = '\(slow.id)'",
                            as: Int.self
                        ) == 0
                    )
                    #expect(world.receiver.requests.count == 4)
                    #expect(hanging.requests.count == 1)
                    group.cancelAll()
                }
            }
        } catch {
            await hanging.stop()
            throw error
        }
        await hanging.stop()
    }

    /// A receiver that sends its headers and then stalls is a timeout within the destination's
    /// timeout, not a call that holds its slot (and a graceful stop) until the body comes.
    @Test func anAnswerThatStallsAfterItsHeadersTimesOut() async throws {
        let stalling = try await HTTPReceiver.start { _, _ in
            .init(status: 200, body: "accepted", stallAfterHeaders: .seconds(8))
        }
        defer { Task { await stalling.stop() } }
        try await DispatchWorld.run { world in
            _ = try await Self.plumsteadDestination(world.database, url: stalling.url, timeout: 2)
            try await DispatchFixtures.plumsteadReport(world.database)
            let started = ContinuousClock.now
            #expect(try await world.dispatcher.runOnce() == 1)
            let took = ContinuousClock.now - started
            #expect(took < .seconds(5), "the pass took \(took)")
            let outcome =
                try await world.scalar(
                    "SELECT coalesce(error, '') FROM dispatch_attempts ORDER BY started_at DESC LIMIT 1",
                    as: String.self
                ) ?? ""
            #expect(outcome.contains("no whole answer"), "\(outcome)")
        }
    }

    /// Makes a webhook Plumstead's default, with `timeout` seconds for each call.
    static func plumsteadDestination(_ database: Database, url: String, timeout: Int = timeout) async throws -> Destination {
        let council = try await CouncilStore(database: database, logger: .quiet).find(slug: "plumstead")!
        return try await DestinationStore(database: database, logger: .quiet).create(
            DestinationDefinition(name: "hanging", kind: .webhook, isDefault: true, url: url, timeoutSeconds: timeout),
            councilID: council.id
        )
    }

    /// Checks `condition` until it holds or `limit` has passed; returns whether it held.
    static func eventually(within limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
