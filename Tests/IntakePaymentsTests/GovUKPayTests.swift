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

/// The GOV.UK Pay provider against a local fake of its API: the create call, signed webhooks,
/// reading the authoritative state before acting, deduplication and ordering.
@Suite struct GovUKPayTests {
    static func withGovUKPay(
        _ test: @escaping @Sendable (any TestClientProtocol, Database, FakeGovUKPay, HTTPFields) async throws -> Void
    ) async throws {
        let fake = try await FakeGovUKPay.start()
        do {
            try await withPaymentsApp(configure: { $0.govukPayBaseURL = fake.url }) { client, _, database in
                let (admin, _) = try await apiKey(database, role: .admin)
                let (status, _) = try await call(
                    client,
                    .put,
                    "/v1/councils/barchester/payment-settings",
                    admin,
                    body: #"""
                        {"provider": "govuk_pay", "api_key": "\#(FakeGovUKPay.apiKey)", "webhook_secret": "\#(FakeGovUKPay.webhookSecret)",
                         "fund_code": "CTAX", "account_reference": {"pattern": "4[0-9]{6}[0-9X]", "check_character": "modulus_11",
                         "description": "8 characters from 4", "example": "41234561"}}
                        """#
                )
                try #require(status == .ok)
                let (key, _) = try await apiKey(database, role: .client)
                try await test(client, database, fake, key)
            }
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    static func webhook(
        _ client: any TestClientProtocol,
        payment: String,
        event: String = UUID().uuidString,
        type: String = "card_payment_succeeded",
        secret: String? = FakeGovUKPay.webhookSecret,
        signature: String? = nil
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        let body = ProviderWebhookEvent(eventID: event, paymentReference: payment, eventType: type).body()
        var headers: HTTPFields = [.contentType: "application/json"]
        if let value = signature ?? secret.map({ PaySignature.sign(body, secret: $0) }) { headers[HTTPField.Name("Pay-Signature")!] = value }
        return try await client.execute(
            uri: "/v1/payment-webhooks/govuk_pay/barchester",
            method: .post,
            headers: headers,
            body: ByteBuffer(bytes: body)
        ) { response in
            (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:])
        }
    }

    static func create(_ client: any TestClientProtocol, _ key: HTTPFields) async throws -> [String: Any] {
        let (status, intent) = try await call(
            client,
            .post,
            "/v1/payment-intents",
            idempotent(key),
            body: intentBody(extra: #", "payer_email": "payer@example.org""#)
        )
        #expect(status == .created)
        return intent
    }

    @Test func aPaymentRoundTripsThroughGovUKPay() async throws {
        try await Self.withGovUKPay { client, database, fake, key in
            let intent = try await Self.create(client, key)
            let id = try #require(intent["id"] as? String)
            let payment = try #require(intent["provider_reference"] as? String)
            #expect(intent["provider"] as? String == "govuk_pay")
            #expect(intent["next_url"] as? String == "https://card.payments.example/secure/\(payment)")

            // What GOV.UK Pay received: Bearer key, the intent as idempotency key, integer pence.
            let create = try #require(fake.receiver.requests.first)
            #expect(create.path == "/v1/payments")
            #expect(create.headers["idempotency-key"] == id)
            let sent = try #require(try JSONSerialization.jsonObject(with: create.body) as? [String: Any])
            #expect(sent["amount"] as? Int == 12345)
            #expect(sent["reference"] as? String == "41234561")
            #expect(sent["return_url"] as? String == "https://app.example/paid")
            #expect(sent["email"] as? String == "payer@example.org")
            #expect(String(decoding: create.body, as: UTF8.self).contains(#""amount":12345"#))

            // A notification while the payer is still on the card page: read, nothing to do.
            fake.set(payment, status: "started")
            let (early, earlyJSON) = try await Self.webhook(client, payment: payment, type: "card_payment_started")
            #expect(early == .ok)
            #expect(earlyJSON["state"] as? String == "pending")

            fake.set(payment, status: "success")
            let event = UUID().uuidString
            let (paid, paidJSON) = try await Self.webhook(client, payment: payment, event: event)
            #expect(paid == .ok)
            #expect(paidJSON["state"] as? String == "posting_queued")
            // The same event again is recognised; a late "started" cannot move it back.
            #expect(try await Self.webhook(client, payment: payment, event: event).1["result"] as? String == "duplicate")
            fake.set(payment, status: "started")
            _ = try await Self.webhook(client, payment: payment, type: "card_payment_started")
            let (_, read) = try await call(client, .get, "/v1/payment-intents/\(id)", key)
            #expect(read["state"] as? String == "posting_queued")
            #expect(read["paid_at"] != nil)
            #expect(try await count(database, "SELECT count(*)::int FROM dispatch_jobs WHERE payment_intent_id = '\(id)'") == 1)
            // Every provider read carried the key.
            #expect(fake.receiver.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(FakeGovUKPay.apiKey)" })
        }
    }

    @Test func badOrMissingSignaturesAre401AndChangeNothing() async throws {
        try await Self.withGovUKPay { client, database, fake, key in
            let intent = try await Self.create(client, key)
            let payment = try #require(intent["provider_reference"] as? String)
            fake.set(payment, status: "success")
            let reads = fake.receiver.requests.count
            for attempt in [
                try await Self.webhook(client, payment: payment, secret: nil),
                try await Self.webhook(client, payment: payment, secret: "another-secret-entirely"),
                try await Self.webhook(client, payment: payment, signature: String(repeating: "0", count: 64)),
                try await Self.webhook(client, payment: payment, signature: "not hex"),
            ] {
                #expect(attempt.0 == .unauthorized)
                #expect(attempt.1["code"] as? String == "invalid_signature")
            }
            // Not even the provider was asked; no event id was remembered.
            #expect(fake.receiver.requests.count == reads)
            #expect(try await count(database, "SELECT count(*)::int FROM payment_provider_events") == 0)
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents WHERE state = 'pending'") == 1)
            // The sandbox's address for a GOV.UK Pay council is not a webhook.
            let (status, _) = try await call(client, .post, "/v1/payment-webhooks/sandbox/barchester", body: "{}")
            #expect(status == .notFound)
        }
    }

    @Test func concurrentConfirmationsMakeOnePosting() async throws {
        try await Self.withGovUKPay { client, database, fake, key in
            let intent = try await Self.create(client, key)
            let id = try #require(intent["id"] as? String)
            let payment = try #require(intent["provider_reference"] as? String)
            fake.set(payment, status: "success")
            let results = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 { group.addTask { try await Self.webhook(client, payment: payment).0 } }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(results.allSatisfy { $0 == .ok })
            #expect(try await count(database, "SELECT count(*)::int FROM dispatch_jobs WHERE payment_intent_id = '\(id)'") == 1)
            #expect(try await count(database, "SELECT count(*)::int FROM payment_events WHERE intent_id = '\(id)' AND to_state = 'succeeded'") == 1)
            #expect(
                try await count(database, "SELECT count(*)::int FROM payment_events WHERE intent_id = '\(id)' AND to_state = 'posting_queued'") == 1
            )
        }
    }

    @Test func failuresAtTheProviderMapToTheirStates() async throws {
        try await Self.withGovUKPay { client, _, fake, key in
            for (status, code, expected) in [("failed", "P0010", "failed"), ("failed", "P0030", "cancelled"), ("failed", "P0020", "expired")] {
                let intent = try await Self.create(client, key)
                let payment = try #require(intent["provider_reference"] as? String)
                fake.set(payment, status: status, code: code)
                let (_, json) = try await Self.webhook(client, payment: payment, type: "card_payment_failed")
                #expect(json["state"] as? String == expected)
                // A success notification after the fact (out of order, or forged with the real
                // secret) finds the provider still saying failed: nothing moves.
                let (_, again) = try await Self.webhook(client, payment: payment)
                #expect(again["state"] as? String == expected)
            }
        }
    }

    @Test func anUnreachableProviderFailsTheIntentAndFreesTheKey() async throws {
        try await Self.withGovUKPay { client, database, fake, key in
            fake.failCreates.withLock { $0 = 503 }
            let headers = idempotent(key, key: "retry-me")
            let (status, problem) = try await call(client, .post, "/v1/payment-intents", headers, body: intentBody())
            #expect(status == .serviceUnavailable)
            #expect(problem["code"] as? String == "payment_provider_unavailable")
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents WHERE state = 'failed'") == 1)
            fake.failCreates.withLock { $0 = nil }
            let (retry, intent) = try await call(client, .post, "/v1/payment-intents", headers, body: intentBody())
            #expect(retry == .created)
            #expect(intent["state"] as? String == "pending")
            // A refusal (4xx) is a 502 that says what the provider said.
            fake.failCreates.withLock { $0 = 422 }
            let (refused, refusal) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody())
            #expect(refused == .badGateway)
            #expect((refusal["detail"] as? String)?.contains("P0999") == true)
        }
    }

    @Test func expiryCancelsTheOpenPaymentAtGovUKPay() async throws {
        try await Self.withGovUKPay { client, database, fake, key in
            let open = try await Self.create(client, key)
            let paid = try await Self.create(client, key)
            let openPayment = try #require(open["provider_reference"] as? String)
            let paidPayment = try #require(paid["provider_reference"] as? String)
            // The second payer finished on GOV.UK Pay; its notification is lost.
            fake.set(paidPayment, status: "success")
            try await DispatchFixtures.execute(database, "UPDATE payment_intents SET expires_at = now() - interval '1 second'")
            var config = IntakeConfig(database: try DatabaseSettings.parse(url: "postgres://x@127.0.0.1:1/x"))
            config.govukPayBaseURL = fake.url
            #expect(try await AppServices(config: config, database: database, logger: .quiet).payments.expireDue() == 1)
            #expect(fake.receiver.requests.contains { $0.method == "POST" && $0.path == "/v1/payments/\(openPayment)/cancel" })
            #expect(!fake.receiver.requests.contains { $0.path == "/v1/payments/\(paidPayment)/cancel" })
            #expect(fake.payments.withLock { $0[openPayment]?.status } == "cancelled")
            let store = PaymentStore(database: database, logger: .quiet)
            #expect(try await store.find(id: UUID(uuidString: open["id"] as! String)!)?.state == .expired)
            #expect(try await store.find(id: UUID(uuidString: paid["id"] as! String)!)?.state == .postingQueued)
        }
    }
}
