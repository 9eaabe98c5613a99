import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// Push delivery to a real local webhook receiver, pass by pass.
@Suite(.timeLimit(.minutes(3))) struct WebhookDeliveryTests {
    @Test func aCaseArrivesSignedWithTheReportAndItsReporter() async throws {
        try await DispatchWorld.run { world in
            let destination = try await DispatchFixtures.barchesterDestination(
                world.database,
                kind: .webhook,
                url: world.receiver.url + "/hooks/cases"
            )
            let reportID = try await DispatchFixtures.report(world.database)

            #expect(try await world.dispatcher.runOnce() == 1)
            let requests = world.receiver.requests
            try #require(requests.count == 1)
            let request = requests[0]
            #expect(request.path == "/hooks/cases")
            #expect(request.headers["content-type"] == "application/json")
            // Verified as a Standard Webhooks receiver would, with the secret it was given.
            #expect(throws: Never.self) { try StandardWebhooksVerifier.verify(request, secret: destination.secret!) }
            #expect(throws: StandardWebhooksVerifier.Failure.noMatchingSignature) {
                try StandardWebhooksVerifier.verify(request, secret: WebhookSignature.generateSecret())
            }

            let message = try CaseMessage.decoder.decode(CaseMessage.self, from: request.body)
            #expect(message.type == "case.created")
            #expect(request.headers["webhook-id"] == message.messageID)
            #expect(message.case.id == reportID.uuidString.lowercased())
            #expect(message.council == "barchester")
            #expect(message.case.reporter == DispatchFixtures.reporter)
            #expect(message.case.attributes["waste_type"] == .text("household"))
            #expect(message.event.kind == "created")

            #expect(try await world.jobStates() == ["done"])
            #expect(try await world.timelineKinds(reportID).last == "dispatched")
            let attempts = try await DestinationStore(database: world.database, logger: .quiet).attempts(
                destinationID: destination.id,
                limit: 10
            )
            #expect(attempts.count == 1)
            #expect(attempts.first?.outcome == .delivered)
            #expect(attempts.first?.statusCode == 204)
            #expect(try await world.dispatcher.runOnce() == 0)
        }
    }

    @Test func duringRotationBothSecretsVerify() async throws {
        try await DispatchWorld.run { world in
            let first = try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            let council = try await CouncilStore(database: world.database, logger: .quiet).find(slug: "barchester")!
            let rotated = try #require(
                try await DestinationStore(database: world.database, logger: .quiet).rotateSecret(
                    name: first.name,
                    councilID: council.id,
                    overlap: .seconds(3600)
                )
            )
            #expect(rotated.secret != first.secret)
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let request = try #require(world.receiver.requests.first)
            #expect(throws: Never.self) { try StandardWebhooksVerifier.verify(request, secret: first.secret!) }
            #expect(throws: Never.self) { try StandardWebhooksVerifier.verify(request, secret: rotated.secret!) }

            // Once the overlap ends only the new secret signs.
            try await world.execute("UPDATE destinations SET previous_secret_expires_at = now() - interval '1 second'")
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let later = world.receiver.requests[1]
            #expect(throws: StandardWebhooksVerifier.Failure.noMatchingSignature) {
                try StandardWebhooksVerifier.verify(later, secret: first.secret!)
            }
            #expect(throws: Never.self) { try StandardWebhooksVerifier.verify(later, secret: rotated.secret!) }
        }
    }

    @Test func aFailureIsRetriedAfterABackoffWithTheSameMessageID() async throws {
        try await DispatchWorld.run(respond: { _, index in .init(status: index == 0 ? 500 : 200, body: "database is down") }) { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)

            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.jobStates() == ["pending"])
            // The first retry waits 5 s ± 20 %.
            let wait = try #require(try await world.scalar("SELECT EXTRACT(EPOCH FROM run_at - now())::float8 FROM dispatch_jobs", as: Double.self))
            #expect(wait > 3.5 && wait <= 6.0)
            #expect(try await world.scalar("SELECT last_error FROM dispatch_jobs", as: String.self) == "HTTP 500")
            #expect(try await world.dispatcher.runOnce() == 0)

            try await DispatchFixtures.makeDue(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let requests = world.receiver.requests
            #expect(requests.count == 2)
            #expect(requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"])
            #expect(try await world.jobStates() == ["done"])
            #expect(try await world.scalar("SELECT attempts FROM dispatch_jobs", as: Int.self) == 2)
            let excerpt = try await world.scalar(
                "SELECT response_excerpt FROM dispatch_attempts WHERE outcome = 'retry'",
                as: String.self
            )
            #expect(excerpt == "database is down")
        }
    }

    /// PostgreSQL text cannot hold NUL: a reply with one is recorded without it (the statement
    /// would otherwise fail, and with it every outcome recorded beside this one).
    @Test func aReplyWithNULIsRecordedWithoutIt() async throws {
        try await DispatchWorld.run(respond: { _, _ in .init(status: 500, body: "bad\u{0}gateway") }) { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.jobStates() == ["pending"])
            let excerpt = try await world.scalar("SELECT response_excerpt FROM dispatch_attempts", as: String.self)
            #expect(excerpt == "badgateway")
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        try await DispatchWorld.run(respond: { _, _ in .init(status: 503, headers: ["Retry-After": "120"]) }) { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let wait = try #require(try await world.scalar("SELECT EXTRACT(EPOCH FROM run_at - now())::float8 FROM dispatch_jobs", as: Double.self))
            #expect(wait > 115 && wait <= 120)
        }
    }

    @Test func goneDisablesTheDestinationUntilEnabledAgain() async throws {
        try await DispatchWorld.run(respond: { _, index in .init(status: index == 0 ? 410 : 200) }) { world in
            let destination = try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let store = DestinationStore(database: world.database, logger: .quiet)
            let disabled = try #require(try await store.find(name: destination.name, councilID: destination.council.id))
            #expect(disabled.disabledAt != nil)
            #expect(disabled.disabledReason == "the endpoint answered 410 Gone")
            #expect(try await world.jobStates() == ["pending"])
            // Nothing goes to a disabled destination.
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 0)

            _ = try await store.setEnabled(true, name: destination.name, councilID: destination.council.id)
            #expect(try await world.dispatcher.runOnce() == 2)
            #expect(try await world.jobStates() == ["done", "done"])
        }
    }

    @Test func afterMaxAttemptsAJobIsDeadUntilRedriven() async throws {
        try await DispatchWorld.run(respond: { _, _ in .init(status: 500) }) { world in
            let destination = try await DispatchFixtures.barchesterDestination(
                world.database,
                kind: .webhook,
                url: world.receiver.url,
                maxAttempts: 2
            )
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            try await DispatchFixtures.makeDue(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.jobStates() == ["dead"])
            try await DispatchFixtures.makeDue(world.database)
            #expect(try await world.dispatcher.runOnce() == 0)

            world.receiver.setResponder { _, _ in .init(status: 200) }
            let pull = PullQueue(database: world.database, logger: .quiet)
            let dead = try await pull.dead(destinationID: destination.id, limit: 10, after: nil)
            #expect(dead.count == 1)
            #expect(dead.first?.lastError == "HTTP 500")
            #expect(try await pull.redrive(destinationID: destination.id, messageID: dead[0].messageID) == .redriven)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.jobStates() == ["done"])
            #expect(Set(world.receiver.requests.map { $0.headers["webhook-id"] }).count == 1)
        }
    }

    @Test func anUpdateNeverOvertakesTheCreationOfItsCase() async throws {
        try await DispatchWorld.run(respond: { _, index in .init(status: index == 0 ? 500 : 200) }) { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            let reportID = try await DispatchFixtures.report(world.database)
            try await DispatchFixtures.comment(world.database, reportID, "It has been set alight.")
            try await DispatchFixtures.comment(world.database, reportID, "Now it is gone.")

            // The creation fails; the comments, though due, wait behind it.
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.dispatcher.runOnce() == 0)
            try await DispatchFixtures.makeDue(world.database)
            for _ in 0..<3 { _ = try await world.dispatcher.runOnce() }
            let types = try world.receiver.requests.map { try CaseMessage.decoder.decode(CaseMessage.self, from: $0.body) }
            #expect(types.map(\.type) == ["case.created", "case.created", "case.comment", "case.comment"])
            #expect(types.suffix(2).map(\.event.publicNote) == ["It has been set alight.", "Now it is gone."])
        }
    }

    @Test func aJobWhoseWorkerDiedIsDeliveredAgainWhenItsLeaseExpires() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)
            // A worker claims the job and dies before recording anything.
            let lost = try await world.queue.claim(limit: 10, leaseMargin: 30, workerID: "died")
            #expect(lost.count == 1)
            #expect(
                try await world.scalar("SELECT EXTRACT(EPOCH FROM run_at - now())::float8 FROM dispatch_jobs", as: Double.self).map { $0 > 34 }
                    == true
            )
            #expect(try await world.dispatcher.runOnce() == 0, "a leased job is not handed out again")
            // Its lease runs out (the clock moved on rather than the test waiting 35 s).
            try await world.execute("UPDATE dispatch_jobs SET run_at = now() - interval '1 second'")
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.jobStates() == ["done"])
            #expect(try await world.scalar("SELECT attempts FROM dispatch_jobs", as: Int.self) == 2)
            let message = try CaseMessage.decoder.decode(CaseMessage.self, from: world.receiver.requests[0].body)
            #expect(message.messageID == lost[0].messageID.uuidString.lowercased())
            // The dead worker's late report changes nothing: its lease is gone.
            let late = PushQueue.Completion(
                job: lost[0],
                outcome: .init(kind: .retry, delaySeconds: 60, error: "late"),
                result: .init(statusCode: 500, durationMilliseconds: 1),
                startedAt: Date()
            )
            #expect(try await world.queue.complete([late]).isEmpty)
            #expect(try await world.jobStates() == ["done"])
        }
    }

    @Test func recordingIsRetriedWhenTheDatabaseConnectionDrops() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .webhook, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)
            let jobs = try await world.queue.claim(limit: 10, leaseMargin: 30, workerID: "test")
            let destination = try #require(
                try await DestinationStore(database: world.database, logger: .quiet).find(ids: [jobs[0].destinationID]).values.first
            )
            let messages = try await QueueMessages(database: world.database, logger: .quiet, baseURL: "https://intake.example").build(
                [
                    .init(
                        messageID: jobs[0].messageID,
                        eventType: jobs[0].eventType,
                        reportID: jobs[0].reportID,
                        eventID: jobs[0].eventID,
                        paymentIntentID: nil
                    )
                ])
            let result = await world.sender.deliver(messages[jobs[0].messageID]!, to: destination, open311Token: jobs[0].open311Token)
            #expect(result.statusCode == 204)

            // Every connection of the pool is cut before the outcome is recorded.
            try await world.testDB.executeOnServer(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(world.testDB.name)'"
            )
            var random = SystemRandomNumberGenerator()
            let outcome = DeliveryOutcome.decide(result, attempt: 1, maxAttempts: 10, schedule: .standard, using: &random)
            try await world.dispatcher.record(
                [PushQueue.Completion(job: jobs[0], outcome: outcome, result: result, startedAt: Date())],
                destinations: [destination.id: destination]
            )
            #expect(try await world.jobStates() == ["done"])
            #expect(try await world.scalar("SELECT count(*)::int FROM dispatch_attempts", as: Int.self) == 1)
            #expect(world.receiver.requests.count == 1)
        }
    }
}
