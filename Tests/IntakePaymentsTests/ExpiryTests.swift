import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeClients
import IntakeCore
import IntakeServices
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Unpaid intents expire after their time, but only after asking the provider.
@Suite struct ExpiryTests {
    @Test func unpaidIntentsExpireAndLastMinutePaymentsCount() async throws {
        try await withPaymentsApp(configure: { $0.paymentExpiryMinutes = 1 }) { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            var config = IntakeConfig(database: try DatabaseSettings.parse(url: "postgres://x@127.0.0.1:1/x"))
            config.paymentExpiryMinutes = 1
            let service = AppServices(config: config, database: database, logger: .quiet).payments

            let (_, open) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody())
            let (_, paidLate) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody(amount: "700"))
            let (_, fresh) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody(amount: "800"))
            let expiresIn = try #require((open["expires_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(expiresIn.timeIntervalSinceNow < 61)
            let openID = try #require(open["id"] as? String)
            let lateID = try #require(paidLate["id"] as? String)
            let freshID = try #require(fresh["id"] as? String)

            // Nothing is due yet.
            #expect(try await service.expireDue() == 0)
            // The payer of the second paid on the provider's page, but its notification never came.
            let latePayment = try #require(paidLate["provider_reference"] as? String)
            _ = try await SandboxPaymentStore(database: database, logger: .quiet).finish(
                try #require(UUID(uuidString: latePayment)),
                status: "success",
                failureCode: nil
            )
            try await DispatchFixtures.execute(
                database,
                "UPDATE payment_intents SET expires_at = now() - interval '1 second' WHERE id IN ('\(openID)', '\(lateID)')"
            )

            #expect(try await service.expireDue() == 1)
            let store = PaymentStore(database: database, logger: .quiet)
            let expired = try #require(try await store.find(id: UUID(uuidString: openID)!))
            #expect(expired.state == .expired)
            #expect(expired.failureCode == "P0020")
            #expect(try await store.events(expired.id).last?.reason == "unpaid after 1 minutes")
            // The provider's payment was cancelled too, so the payer cannot pay an expired intent.
            let sandbox = try await SandboxPaymentStore(database: database, logger: .quiet).find(UUID(uuidString: expired.providerReference!)!)
            #expect(sandbox?.status == "cancelled")
            #expect(try await store.find(id: UUID(uuidString: lateID)!)?.state == .postingQueued)
            #expect(try await store.find(id: UUID(uuidString: freshID)!)?.state == .pending)
            // Expired is final: a later sweep or a late success changes nothing.
            #expect(try await service.expireDue() == 0)
            #expect(try await store.settle(expired.id, to: .succeeded, actor: "provider", reason: "late") == .unchanged(.expired))
        }
    }

    @Test func theWorkersHousekeepingExpiresIntents() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let (_, open) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody())
            let id = try #require(open["id"] as? String)
            try await DispatchFixtures.execute(database, "UPDATE payment_intents SET expires_at = now() - interval '1 minute' WHERE id = '\(id)'")
            var config = IntakeConfig(database: try DatabaseSettings.parse(url: "postgres://x@127.0.0.1:1/x"))
            config.paymentExpiryMinutes = 90
            let maintenance = Maintenance(
                reports: ReportStore(database: database, logger: .quiet),
                idempotency: IdempotencyStore(database: database, logger: .quiet),
                media: MediaStore(database: database, logger: .quiet),
                payments: AppServices(config: config, database: database, logger: .quiet).payments,
                contactRetentionDays: 365,
                logger: .quiet
            )
            _ = try await maintenance.run()
            #expect(try await call(client, .get, "/v1/payment-intents/\(id)", key).1["state"] as? String == "expired")
        }
    }
}
