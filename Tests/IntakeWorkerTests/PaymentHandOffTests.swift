import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// Paid intents pushed to a council's revenues webhook: signed like every message, posted when
/// the revenues system answers 2xx, posting_failed when it never does, queued again by a redrive.
@Suite struct PaymentHandOffTests {
    /// Barchester's revenues destination becomes a webhook (taking the role from its demo pull queue).
    static func revenuesWebhook(_ world: DispatchWorld, maxAttempts: Int = 10) async throws -> Destination {
        let council = try await CouncilStore(database: world.database, logger: .quiet).find(slug: "barchester")!
        let destination = try await DestinationStore(database: world.database, logger: .quiet).create(
            DestinationDefinition(
                name: "revenues-hook",
                kind: .webhook,
                url: world.receiver.url + "/revenues",
                timeoutSeconds: 5,
                maxAttempts: maxAttempts,
                receivesPayments: true
            ),
            councilID: council.id
        )
        // One revenues destination per council: the new one took the role.
        let names = try await world.scalar(
            "SELECT string_agg(name, ',') FROM destinations WHERE receives_payments AND council_id = '\(council.id)'",
            as: String.self
        )
        #expect(names == "revenues-hook")
        return destination
    }

    /// A paid intent, as the provider's confirmation leaves it.
    static func paidIntent(_ world: DispatchWorld) async throws -> UUID {
        let council = try await CouncilStore(database: world.database, logger: .quiet).find(slug: "barchester")!
        let store = PaymentStore(database: world.database, logger: .quiet)
        let id = try await store.create(
            .init(
                councilID: council.id,
                accountReference: "41234561",
                amountPence: 98_765,
                returnURL: "https://app.example/paid",
                provider: "sandbox",
                expiresAt: Date().addingTimeInterval(5400),
                fundCode: "CTAX",
                payerName: "Eleanor Bold"
            ),
            actor: "client"
        )
        _ = try await store.attachProvider(id, reference: "sandbox-\(id)", nextURL: "https://intake.example/sandbox/pay/x")
        #expect(try await store.settle(id, to: .succeeded, actor: "provider", reason: "paid") == .moved(.postingQueued))
        return id
    }

    @Test func aPaymentIsPostedWhenTheRevenuesWebhookAccepts() async throws {
        try await DispatchWorld.run { world in
            let destination = try await Self.revenuesWebhook(world)
            let id = try await Self.paidIntent(world)
            #expect(try await world.dispatcher.runOnce() == 1)
            let request = try #require(world.receiver.requests.first)
            #expect(request.path == "/revenues")
            #expect(throws: Never.self) { try StandardWebhooksVerifier.verify(request, secret: destination.secret!) }
            let message = try CaseMessage.decoder.decode(PaymentMessage.self, from: request.body)
            #expect(message.type == "payment.succeeded")
            #expect(request.headers["webhook-id"] == message.messageID)
            #expect(message.payment.id == id.uuidString.lowercased())
            #expect(message.payment.fundCode == "CTAX")
            #expect(message.payment.accountReference == "41234561")
            #expect(message.payment.amountPence == 98_765)
            #expect(message.payment.providerReference == "sandbox-\(id)")
            #expect(message.payment.paidAt != nil)
            let json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            #expect((json["payment"] as? [String: Any])?["amount"] as? Int == 98_765)

            let store = PaymentStore(database: world.database, logger: .quiet)
            #expect(try await store.find(id: id)?.state == .posted)
            #expect(try await store.history(id).map(\.to) == [.created, .pending, .succeeded, .postingQueued, .posted])
        }
    }

    @Test func aHandOffThatNeverSucceedsFailsAndARedriveQueuesItAgain() async throws {
        try await DispatchWorld.run(respond: { _, _ in .init(status: 500) }) { world in
            let destination = try await Self.revenuesWebhook(world, maxAttempts: 2)
            let id = try await Self.paidIntent(world)
            let store = PaymentStore(database: world.database, logger: .quiet)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await store.find(id: id)?.state == .postingQueued)
            try await DispatchFixtures.makeDue(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await store.find(id: id)?.state == .postingFailed)
            #expect(try await store.events(id).last?.reason.contains("2 attempts") == true)

            // The revenues system is fixed; an operator redrives the dead message.
            world.receiver.setResponder { _, _ in .init(status: 204) }
            let messageID = try #require(
                try await world.scalar("SELECT message_id FROM dispatch_jobs WHERE payment_intent_id = '\(id)'", as: UUID.self)
            )
            #expect(
                try await PullQueue(database: world.database, logger: .quiet).redrive(destinationID: destination.id, messageID: messageID)
                    == .redriven
            )
            #expect(try await store.find(id: id)?.state == .postingQueued)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await store.find(id: id)?.state == .posted)
            // Every delivery of the hand-off carried the same message id.
            #expect(Set(world.receiver.requests.map { $0.headers["webhook-id"] ?? "" }).count == 1)
        }
    }

    @Test func aCouncilWithoutARevenuesDestinationKeepsPaymentsWaiting() async throws {
        try await DispatchWorld.run { world in
            try await DispatchFixtures.execute(world.database, "UPDATE destinations SET receives_payments = false")
            let id = try await Self.paidIntent(world)
            #expect(
                try await world.scalar(
                    "SELECT count(*)::int FROM dispatch_jobs WHERE payment_intent_id = '\(id)' AND destination_id IS NULL",
                    as: Int.self
                ) == 1
            )
            #expect(try await world.dispatcher.runOnce() == 0)
            // Naming one routes the waiting hand-off to it.
            _ = try await Self.revenuesWebhook(world)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await PaymentStore(database: world.database, logger: .quiet).find(id: id)?.state == .posted)
        }
    }
}
