import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

/// Creating and reading payment intents through the JSON API (sandbox provider).
@Suite struct PaymentIntentAPITests {
    @Test func tenMetadataKeysAreAccepted() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let ten = (1...10).map { #""k\#($0)": \#($0)"# }.joined(separator: ", ")
            let (status, intent) = try await call(
                client,
                .post,
                "/v1/payment-intents",
                idempotent(key),
                body: intentBody(extra: #", "metadata": {\#(ten)}"#)
            )
            #expect(status == .created)
            #expect((intent["metadata"] as? [String: Any])?.count == 10)
        }
    }

    @Test func anIntentIsStoredPendingWithWhereThePayerGoes() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let before = Date()
            let (status, intent) = try await call(
                client,
                .post,
                "/v1/payment-intents",
                idempotent(key),
                body: intentBody(
                    reference: "4123-456 1",
                    extra: #", "payer_name": "Eleanor Bold", "metadata": {"ledger": "A1", "instalment": 3, "reminder": false}"#
                )
            )
            #expect(status == .created)
            let id = try #require(intent["id"] as? String)
            #expect(intent["state"] as? String == "pending")
            #expect(intent["amount"] as? Int == 12345)
            // Stored normalised: what payers type varies, the account does not.
            #expect(intent["account_reference"] as? String == "41234561")
            #expect(intent["fund_code"] as? String == "CTAX")
            let next = try #require(intent["next_url"] as? String)
            #expect(next.hasPrefix("https://intake.example/sandbox/pay/"))
            #expect((intent["metadata"] as? [String: Any])?["instalment"] as? Int == 3)
            let expires = try #require((intent["expires_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(expires.timeIntervalSince(before) - 90 * 60) < 60)

            // In the database before the 201, with its history.
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents WHERE id = '\(id)' AND state = 'pending'") == 1)
            #expect(try await count(database, "SELECT count(*)::int FROM payment_events WHERE intent_id = '\(id)'") == 2)

            // The client that made it reads it back; another client does not see it.
            let (readStatus, read) = try await call(client, .get, "/v1/payment-intents/\(id)", key)
            #expect(readStatus == .ok)
            #expect(read["state"] as? String == "pending")
            #expect(read["history"] == nil)
            let (otherClient, _) = try await apiKey(database, role: .client)
            #expect(try await call(client, .get, "/v1/payment-intents/\(id)", otherClient).0 == .notFound)
            // The council's staff see it with its history; another council's do not.
            let (staff, _) = try await apiKey(database, role: .backoffice, council: "barchester")
            let (_, staffView) = try await call(client, .get, "/v1/payment-intents/\(id)", staff)
            #expect((staffView["history"] as? [[String: Any]])?.map { $0["to_state"] as? String } == ["created", "pending"])
            let (plumstead, _) = try await apiKey(database, role: .backoffice, council: "plumstead")
            #expect(try await call(client, .get, "/v1/payment-intents/\(id)", plumstead).0 == .notFound)
            #expect(try await call(client, .get, "/v1/payment-intents/\(id)").0 == .unauthorized)
        }
    }

    @Test func idempotencyKeysFollowTheDraft() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, keyID) = try await apiKey(database, role: .client)
            // Missing key: 400, nothing stored.
            let (missing, problem) = try await call(client, .post, "/v1/payment-intents", key, body: intentBody())
            #expect(missing == .badRequest)
            #expect(problem["code"] as? String == "idempotency_key_required")
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents") == 0)

            // Same key and body: the first response again, one intent.
            let headers = idempotent(key, key: "pay-1")
            let (first, created) = try await call(client, .post, "/v1/payment-intents", headers, body: intentBody())
            let (second, replayed) = try await call(client, .post, "/v1/payment-intents", headers, body: intentBody())
            #expect(first == .created)
            #expect(second == .created)
            #expect(replayed["id"] as? String == created["id"] as? String)
            #expect(replayed["next_url"] as? String == created["next_url"] as? String)
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents") == 1)
            // Still the first answer after the council changes its rules.
            try await DispatchFixtures.execute(
                database,
                "UPDATE council_payment_settings SET reference_pattern = '9[0-9]{7}', reference_check = 'none'"
            )
            let (afterChange, stillFirst) = try await call(client, .post, "/v1/payment-intents", headers, body: intentBody())
            #expect(afterChange == .created)
            #expect(stillFirst["id"] as? String == created["id"] as? String)
            try await DispatchFixtures.execute(
                database,
                "UPDATE council_payment_settings SET reference_pattern = '4[0-9]{6}[0-9X]', reference_check = 'modulus_11'"
            )

            // Same key, another body: 422.
            let (reused, reusedProblem) = try await call(client, .post, "/v1/payment-intents", headers, body: intentBody(amount: "999"))
            #expect(reused == .unprocessableContent)
            #expect(reusedProblem["code"] as? String == "idempotency_key_reused")

            // The first request with a key still running: 409.
            let body = intentBody(amount: "500")
            let scope = IdempotencyStore.Scope(
                clientKeyID: keyID,
                operation: "POST /v1/payment-intents",
                key: "pay-2",
                requestHash: Secrets.sha256(try canonical(body))
            )
            #expect(try await IdempotencyStore(database: database, logger: .quiet).claim(scope) == .proceed)
            let (busy, busyProblem) = try await call(client, .post, "/v1/payment-intents", idempotent(key, key: "pay-2"), body: body)
            #expect(busy == .conflict)
            #expect(busyProblem["code"] as? String == "idempotency_request_in_progress")

            // Keys belong to their client: another client's same key is a new payment.
            let (other, _) = try await apiKey(database, role: .client)
            #expect(try await call(client, .post, "/v1/payment-intents", idempotent(other, key: "pay-1"), body: intentBody()).0 == .created)
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents") == 2)
        }
    }

    /// The canonical form the server hashes: sorted keys, as the generated type encodes them.
    func canonical(_ body: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8))
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: [
        (#""12345""#, "/amount"), ("123.5", "/amount"), ("0", "/amount"), ("-5", "/amount"), ("10000001", "/amount"),
        ("true", "/amount"), ("null", "/amount"),
    ])
    func badAmountsAreRefusedNamingTheField(_ amount: String, _ pointer: String) async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let (status, problem) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody(amount: amount))
            #expect(status == .unprocessableContent)
            #expect(fieldErrors(problem).map(\.pointer).contains(pointer))
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents") == 0)
        }
    }

    @Test func everyOtherBadFieldIsNamed() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            func refused(_ body: String) async throws -> [(pointer: String, code: String?, detail: String)] {
                let (status, problem) = try await call(client, .post, "/v1/payment-intents", idempotent(key), body: body)
                #expect(status == .unprocessableContent, "\(body)")
                return fieldErrors(problem)
            }
            #expect(try await refused(intentBody(council: "gotham")).first?.code == "unknown_council")
            // The county does not collect council tax here.
            #expect(try await refused(intentBody(council: "barsetshire")).first?.code == "payments_not_enabled")
            // Silverbridge's own maximum is £50,000.
            #expect(try await refused(intentBody(council: "silverbridge", reference: "123456789", amount: "5000001")).first?.pointer == "/amount")
            #expect(
                try await call(
                    client,
                    .post,
                    "/v1/payment-intents",
                    idempotent(key),
                    body: intentBody(council: "silverbridge", reference: "123456789", amount: "5000000")
                ).0 == .created
            )

            let pattern = try await refused(intentBody(reference: "51234561"))
            #expect(pattern.first?.code == "invalid_account_reference")
            #expect(pattern.first?.detail.contains("8 characters: 4 and six more digits") == true)
            #expect(pattern.first?.detail.contains("41234561") == true)
            let check = try await refused(intentBody(reference: "41234562"))
            #expect(check.first?.detail.contains("check character") == true)
            #expect(try await refused(intentBody(returnURL: "http://app.example/paid")).first?.pointer == "/return_url")
            #expect(try await refused(intentBody(extra: #", "payer_email": "not-an-address""#)).first?.pointer == "/payer_email")
            let eleven = (1...11).map { #""k\#($0)": "v""# }.joined(separator: ", ")
            #expect(try await refused(intentBody(extra: #", "metadata": {\#(eleven)}"#)).first?.pointer == "/metadata")
            #expect(try await refused(intentBody(extra: #", "metadata": {"Ref": "a", "ref": "b"}"#)).first?.code == "duplicate_key")
            #expect(try await refused(intentBody(extra: #", "payer_name": "Eleanor\u0000Bold""#)).first?.pointer == "/payer_name")
            #expect(try await refused(intentBody(extra: #", "metadata": {"note": "a\u0000b"}"#)).first?.pointer == "/metadata/note")
            #expect(try await refused(intentBody(extra: #", "payer_email": "eleanor@example..org""#)).first?.pointer == "/payer_email")
            #expect(try await refused(intentBody(extra: #", "metadata": {"nested": {"a": 1}}"#)).first?.pointer == "/metadata/nested")
            let long = String(repeating: "x", count: 101)
            #expect(try await refused(intentBody(extra: #", "metadata": {"note": "\#(long)"}"#)).first?.pointer == "/metadata/note")
            #expect(
                try await refused(intentBody(extra: #", "metadata": {"\#(String(repeating: "k", count: 31))": "v"}"#)).first?.code == "invalid_key"
            )
            #expect(
                try await refused(
                    #"{"council": "barchester", "purpose": "parking", "account_reference": "41234561", "amount": 5, "return_url": "https://a.example"}"#
                ).first?.pointer == "/purpose"
            )
            #expect(try await count(database, "SELECT count(*)::int FROM payment_intents") == 1)

            // Only client keys start payments.
            let (staff, _) = try await apiKey(database, role: .backoffice, council: "barchester")
            #expect(try await call(client, .post, "/v1/payment-intents", idempotent(staff), body: intentBody()).0 == .forbidden)
        }
    }

    @Test func theCouncilPublishesItsRuleAndTheExamplePasses() async throws {
        try await withPaymentsApp { client, _, database in
            let (status, council) = try await call(client, .get, "/v1/councils/barchester")
            #expect(status == .ok)
            #expect(council["accepts_payments"] as? Bool == true)
            #expect(council["account_reference_rule"] as? String == "8 characters: 4 and six more digits, then a check digit (which may be X)")
            #expect(council["account_reference_check"] as? String == "modulus_11")
            #expect(council["max_payment_pence"] as? Int == 10_000_000)
            let example = try #require(council["example_reference"] as? String)
            let (county, countyJSON) = try await call(client, .get, "/v1/councils/barsetshire")
            #expect(county == .ok)
            #expect(countyJSON["accepts_payments"] as? Bool == false)
            #expect(countyJSON["example_reference"] == nil)
            // Every demo council's published example is accepted by its own rule.
            let (key, _) = try await apiKey(database, role: .client)
            for slug in ["barchester", "plumstead", "silverbridge"] {
                let (_, json) = try await call(client, .get, "/v1/councils/\(slug)")
                let reference = try #require(json["example_reference"] as? String)
                #expect(
                    try await call(client, .post, "/v1/payment-intents", idempotent(key), body: intentBody(council: slug, reference: reference)).0
                        == .created
                )
            }
            #expect(example == "41234561")
        }
    }

    @Test func adminsSetACouncilsRulesAndTheAPIFollowsThem() async throws {
        try await withPaymentsApp { client, _, database in
            let (admin, _) = try await apiKey(database, role: .admin)
            let (staff, _) = try await apiKey(database, role: .backoffice, council: "plumstead")
            func settings(_ rule: String) -> String {
                #"{"provider": "sandbox", "fund_code": "CT-9", "max_amount_pence": 250000, "account_reference": \#(rule)}"#
            }
            // A pattern that does not compile, and an example its own rule refuses.
            let (bad, badProblem) = try await call(
                client,
                .put,
                "/v1/councils/plumstead/payment-settings",
                admin,
                body: settings(#"{"pattern": "([0-9", "description": "digits", "example": "1"}"#)
            )
            #expect(bad == .unprocessableContent)
            #expect(fieldErrors(badProblem).first?.pointer == "/account_reference/pattern")
            let (badExample, exampleProblem) = try await call(
                client,
                .put,
                "/v1/councils/plumstead/payment-settings",
                admin,
                body: settings(
                    #"{"pattern": "6[0-9]{9}X?", "check_character": "modulus_11", "description": "10 digits from 6, maybe X", "example": "6000000000"}"#
                )
            )
            #expect(badExample == .unprocessableContent)
            #expect(fieldErrors(exampleProblem).first?.pointer == "/account_reference/example")
            // Staff may read, not write.
            let good = settings(#"{"pattern": "6[0-9]{8}", "description": "9 digits starting with 6", "example": "612345678"}"#)
            #expect(try await call(client, .put, "/v1/councils/plumstead/payment-settings", staff, body: good).0 == .forbidden)
            let (ok, stored) = try await call(client, .put, "/v1/councils/plumstead/payment-settings", admin, body: good)
            #expect(ok == .ok)
            #expect(stored["webhook_url"] as? String == "https://intake.example/v1/payment-webhooks/sandbox/plumstead")
            #expect(stored["webhook_secret"] == nil)
            let (_, read) = try await call(client, .get, "/v1/councils/plumstead/payment-settings", staff)
            #expect(read["fund_code"] as? String == "CT-9")

            let (_, council) = try await call(client, .get, "/v1/councils/plumstead")
            #expect(council["example_reference"] as? String == "612345678")
            let (key, _) = try await apiKey(database, role: .client)
            let (old, oldProblem) = try await call(
                client,
                .post,
                "/v1/payment-intents",
                idempotent(key),
                body: intentBody(council: "plumstead", reference: "5001234567")
            )
            #expect(old == .unprocessableContent)
            #expect(fieldErrors(oldProblem).first?.detail.contains("9 digits starting with 6") == true)
            #expect(
                try await call(
                    client,
                    .post,
                    "/v1/payment-intents",
                    idempotent(key),
                    body: intentBody(council: "plumstead", reference: "612345678", amount: "250001")
                ).0 == .unprocessableContent
            )
            let (created, intent) = try await call(
                client,
                .post,
                "/v1/payment-intents",
                idempotent(key),
                body: intentBody(council: "plumstead", reference: "612345678")
            )
            #expect(created == .created)
            #expect(intent["fund_code"] as? String == "CT-9")

            // GOV.UK Pay needs its API key and webhook secret.
            let (noKey, noKeyProblem) = try await call(
                client,
                .put,
                "/v1/councils/plumstead/payment-settings",
                admin,
                body:
                    #"{"provider": "govuk_pay", "fund_code": "CT", "account_reference": {"pattern": "6[0-9]{8}", "description": "d", "example": "612345678"}}"#
            )
            #expect(noKey == .unprocessableContent)
            #expect(Set(fieldErrors(noKeyProblem).map(\.pointer)) == ["/api_key", "/webhook_secret"])
        }
    }
}
