import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// The sandbox provider's page drives the webhook path; a paid intent is handed to the
/// council's revenues queue, and the back office's ack marks it posted.
@Suite struct SandboxHandOffTests {
    static func create(
        _ client: any TestClientProtocol,
        _ key: HTTPFields,
        reference: String = "41234561",
        amount: Int = 12345
    )
        async throws -> (id: String, page: String)
    {
        let (status, intent) = try await call(
            client,
            .post,
            "/v1/payment-intents",
            idempotent(key),
            body: intentBody(reference: reference, amount: String(amount))
        )
        #expect(status == .created)
        let next = try #require(intent["next_url"] as? String)
        return (try #require(intent["id"] as? String), try #require(URL(string: next)?.path))
    }

    static func choose(_ client: any TestClientProtocol, _ page: String, _ choice: String) async throws -> (HTTPResponse.Status, String?) {
        try await client.execute(
            uri: page,
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "choice=\(choice)")
        ) { ($0.status, $0.headers[.location]) }
    }

    static func state(_ client: any TestClientProtocol, _ id: String, _ key: HTTPFields) async throws -> String? {
        try await call(client, .get, "/v1/payment-intents/\(id)", key).1["state"] as? String
    }

    @Test func payingHandsTheIntentToRevenuesAndTheAckPostsIt() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let (id, page) = try await Self.create(client, key)

            let html = try await client.execute(uri: page, method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                return String(buffer: response.body)
            }
            #expect(html.contains("£123.45"))
            #expect(html.contains("41234561"))
            #expect(html.contains("Barchester City Council"))

            let (status, location) = try await Self.choose(client, page, "pay")
            #expect(status == .seeOther)
            #expect(location == "https://app.example/paid")
            #expect(try await Self.state(client, id, key) == "posting_queued")
            // A second submission of the page (back button) changes nothing.
            #expect(try await Self.choose(client, page, "pay").0 == .seeOther)
            #expect(try await count(database, "SELECT count(*)::int FROM dispatch_jobs WHERE payment_intent_id = '\(id)'") == 1)

            // The revenues back office pulls it: posting key, amount and provider reference.
            let (staff, _) = try await apiKey(database, role: .backoffice, council: "barchester")
            let (_, received) = try await call(client, .post, "/v1/backoffice/queues/revenues/receive", staff, body: #"{"max_messages": 10}"#)
            let messages = received["messages"] as? [[String: Any]] ?? []
            try #require(messages.count == 1)
            #expect(messages[0]["event_type"] as? String == "payment.succeeded")
            let payload = try #require(messages[0]["payload"] as? [String: Any])
            #expect(payload["type"] as? String == "payment.succeeded")
            #expect(payload["council"] as? String == "barchester")
            let payment = try #require(payload["payment"] as? [String: Any])
            #expect(payment["id"] as? String == id)
            #expect(payment["fund_code"] as? String == "CTAX")
            #expect(payment["account_reference"] as? String == "41234561")
            #expect(payment["amount"] as? Int == 12345)
            #expect(payment["provider"] as? String == "sandbox")
            #expect((payment["provider_reference"] as? String).map { page.hasSuffix($0) } == true)
            // Case queues never see payments.
            let (_, cases) = try await call(client, .post, "/v1/backoffice/queues/cases/receive", staff, body: #"{"max_messages": 10}"#)
            #expect((cases["messages"] as? [[String: Any]])?.isEmpty == true)

            let messageID = try #require(messages[0]["message_id"] as? String)
            let handle = try #require(messages[0]["receipt_handle"] as? String)
            let (acked, _) = try await call(
                client,
                .post,
                "/v1/backoffice/queues/revenues/messages/\(messageID)/ack",
                staff,
                body: #"{"receipt_handle": "\#(handle)"}"#
            )
            #expect(acked == .noContent)
            let (_, final) = try await call(client, .get, "/v1/payment-intents/\(id)", staff)
            #expect(final["state"] as? String == "posted")
            let history = (final["history"] as? [[String: Any]] ?? []).map { "\($0["to_state"] as? String ?? "")/\($0["actor"] as? String ?? "")" }
            #expect(history == ["created/client", "pending/system", "succeeded/provider", "posting_queued/system", "posted/revenues"])
        }
    }

    @Test func decliningOrCancellingFinishesWithoutAHandOff() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let declined = try await Self.create(client, key)
            #expect(try await Self.choose(client, declined.page, "decline").0 == .seeOther)
            #expect(try await Self.state(client, declined.id, key) == "failed")
            let (_, failed) = try await call(client, .get, "/v1/payment-intents/\(declined.id)", key)
            #expect(failed["failure_code"] as? String == "P0010")
            #expect(failed["next_url"] == nil)

            let cancelled = try await Self.create(client, key)
            #expect(try await Self.choose(client, cancelled.page, "cancel").0 == .seeOther)
            #expect(try await Self.state(client, cancelled.id, key) == "cancelled")
            // Paying afterwards is refused by the provider (the payment is finished), so nothing moves.
            #expect(try await Self.choose(client, cancelled.page, "pay").0 == .seeOther)
            #expect(try await Self.state(client, cancelled.id, key) == "cancelled")
            #expect(try await count(database, "SELECT count(*)::int FROM dispatch_jobs WHERE payment_intent_id IS NOT NULL") == 0)
            #expect(try await Self.choose(client, cancelled.page, "refund").0 == .badRequest)
            #expect(try await client.execute(uri: "/sandbox/pay/\(UUID())", method: .get) { $0.status } == .notFound)
        }
    }

    @Test func reconciliationSumsTheDaysPaymentsAndMatchesItsCSV() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            let amounts = [12345, 100, 999_999, 5000]
            var ids: [String] = []
            for (index, amount) in amounts.enumerated() {
                let (id, page) = try await Self.create(client, key, reference: index % 2 == 0 ? "41234561" : "4100003X", amount: amount)
                ids.append(id)
                _ = try await Self.choose(client, page, "pay")
            }
            // One more that is never paid, and one declined: neither is money.
            _ = try await Self.create(client, key, amount: 777)
            let declined = try await Self.create(client, key, amount: 888)
            _ = try await Self.choose(client, declined.page, "decline")
            // One paid intent is acknowledged by revenues, so the day has two states.
            let (staff, _) = try await apiKey(database, role: .backoffice, council: "barchester")
            let (_, received) = try await call(client, .post, "/v1/backoffice/queues/revenues/receive", staff, body: #"{"max_messages": 1}"#)
            let message = try #require((received["messages"] as? [[String: Any]])?.first)
            let acked = try #require((message["payload"] as? [String: Any]).flatMap { ($0["payment"] as? [String: Any])?["amount"] as? Int })
            _ = try await call(
                client,
                .post,
                "/v1/backoffice/queues/revenues/messages/\(message["message_id"]!)/ack",
                staff,
                body: #"{"receipt_handle": "\#(message["receipt_handle"]!)"}"#
            )

            let today = Date().formatted(
                Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "Europe/London")!).year().month().day().dateSeparator(.dash)
            )
            let (status, json) = try await call(client, .get, "/v1/councils/barchester/payments/reconciliation?date=\(today)", staff)
            #expect(status == .ok)
            #expect(json["count"] as? Int == 4)
            #expect(json["total_pence"] as? Int == amounts.reduce(0, +))
            let lines = json["lines"] as? [[String: Any]] ?? []
            #expect(Set(lines.compactMap { $0["intent_id"] as? String }) == Set(ids))
            let totals = Dictionary(
                uniqueKeysWithValues: (json["totals_by_state"] as? [[String: Any]] ?? []).map {
                    ($0["state"] as? String ?? "", ($0["count"] as? Int ?? 0, $0["total_pence"] as? Int ?? 0))
                }
            )
            #expect(totals["posted"]?.0 == 1)
            #expect(totals["posted"]?.1 == acked)
            #expect(totals["posting_queued"]?.0 == 3)
            #expect(totals["posting_queued"]?.1 == amounts.reduce(0, +) - acked)

            // The CSV: header, one row per line, and the checksum is SHA-256 of its data rows.
            var csvHeaders = staff
            csvHeaders[.accept] = "text/csv"
            let (csvStatus, csv, headers) = try await client.execute(
                uri: "/v1/councils/barchester/payments/reconciliation?date=\(today)",
                method: .get,
                headers: csvHeaders
            ) { ($0.status, String(buffer: $0.body), $0.headers) }
            #expect(csvStatus == .ok)
            #expect(headers[.contentType]?.hasPrefix("text/csv") == true)
            let rows = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(rows.first == "intent_id,paid_at,account_reference,fund_code,amount_pence,provider,provider_reference,state")
            #expect(rows.count == 5)
            let csvAmounts: [Int] = rows.dropFirst().map { row -> Int in Int(row.split(separator: ",")[4]) ?? 0 }
            let total: Int = amounts.reduce(0, +)
            #expect(csvAmounts.reduce(0, +) == total)
            let dataRows = rows.dropFirst().map { $0 + "\r\n" }.joined()
            let digest = SHA256.hash(data: Data(dataRows.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(json["checksum"] as? String == digest)
            #expect(headers[HTTPField.Name("X-Reconciliation-Checksum")!] == digest)
            #expect(headers[HTTPField.Name("X-Reconciliation-Total-Pence")!] == String(amounts.reduce(0, +)))

            // Another day is empty; a bad date is named; another council's staff see nothing.
            let (_, empty) = try await call(client, .get, "/v1/councils/barchester/payments/reconciliation?date=2020-01-01", staff)
            #expect(empty["count"] as? Int == 0)
            #expect(empty["checksum"] as? String == SHA256.hash(data: Data()).map { String(format: "%02x", $0) }.joined())
            for date in ["2026-02-30", "2024-001-1", "-202-01-01", "2026-1-05"] {
                let (bad, badProblem) = try await call(client, .get, "/v1/councils/barchester/payments/reconciliation?date=\(date)", staff)
                #expect(bad == .unprocessableContent, "\(date)")
                #expect(fieldErrors(badProblem).first?.pointer == "/query/date")
            }
            let (plumstead, _) = try await apiKey(database, role: .backoffice, council: "plumstead")
            #expect(try await call(client, .get, "/v1/councils/barchester/payments/reconciliation?date=\(today)", plumstead).0 == .notFound)
        }
    }

    @Test func staffSearchByStateAndReferenceInKeysetPages() async throws {
        try await withPaymentsApp { client, _, database in
            let (key, _) = try await apiKey(database, role: .client)
            var created: [String] = []
            for index in 0..<5 {
                created.append(try await Self.create(client, key, reference: index < 3 ? "41234561" : "4100003X", amount: 100 + index).id)
            }
            let (staff, _) = try await apiKey(database, role: .backoffice, council: "barchester")
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/councils/barchester/payments?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let (status, page) = try await call(client, .get, uri, staff)
                #expect(status == .ok)
                seen += (page["payments"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen == created.reversed())
            let (_, byReference) = try await call(client, .get, "/v1/councils/barchester/payments?account_reference=4100-003x", staff)
            #expect((byReference["payments"] as? [[String: Any]])?.count == 2)
            let (_, pending) = try await call(client, .get, "/v1/councils/barchester/payments?state=pending&from=2020-01-01", staff)
            #expect((pending["payments"] as? [[String: Any]])?.count == 5)
            let (_, paid) = try await call(client, .get, "/v1/councils/barchester/payments?state=posted", staff)
            #expect((paid["payments"] as? [[String: Any]])?.isEmpty == true)
            let (_, future) = try await call(client, .get, "/v1/councils/barchester/payments?from=2099-01-01", staff)
            #expect((future["payments"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await call(client, .get, "/v1/councils/barchester/payments?from=yesterday", staff).0 == .unprocessableContent)
            #expect(try await call(client, .get, "/v1/councils/barchester/payments", key).0 == .forbidden)
        }
    }
}
