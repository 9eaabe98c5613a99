import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

@testable import IntakeHTTP

/// Every keyed route, called as no key, a client key, another council's back office, the
/// council's own back office and an admin, against real resources of one council (Barchester),
/// each answer checked against the table below. "pass" means the caller got past every check
/// of who it is (anything but 401, 403 or 404); another council's resources are 404, never 403.
@Suite struct TenantIsolationTests {
    enum Caller: String, CaseIterable { case none, client, otherCouncil, ownCouncil, admin }

    /// Route → the answers of none, client, another council's back office, own back office, admin.
    static let expected: [String: [String]] = [
        "POST /v1/councils": ["401", "403", "403", "403", "pass"],
        "PATCH /v1/councils/{slug}": ["401", "403", "404", "pass", "pass"],
        "PUT /v1/councils/{slug}/boundary": ["401", "403", "403", "403", "pass"],
        "POST /v1/councils/{slug}/categories": ["401", "403", "404", "pass", "pass"],
        "PATCH /v1/councils/{slug}/categories/{code}": ["401", "403", "404", "pass", "pass"],
        "DELETE /v1/councils/{slug}/categories/{code}": ["401", "403", "404", "pass", "pass"],
        "POST /v1/reports": ["401", "pass", "403", "403", "403"],
        // No tracking token is sent by anyone here: the key does not stand in for it.
        "POST /v1/reports/{id}/updates": ["401", "401", "401", "401", "401"],
        "DELETE /v1/reports/{id}/reporter": ["401", "403", "403", "403", "pass"],
        "POST /v1/media": ["401", "pass", "403", "403", "403"],
        "GET /v1/api-keys": ["401", "403", "403", "403", "pass"],
        "POST /v1/api-keys": ["401", "403", "403", "403", "pass"],
        "DELETE /v1/api-keys/{prefix}": ["401", "403", "403", "403", "pass"],
        "GET /v1/audit": ["401", "403", "403", "403", "pass"],
        "GET /v1/councils/{slug}/destinations": ["401", "403", "404", "pass", "pass"],
        "POST /v1/councils/{slug}/destinations": ["401", "403", "404", "pass", "pass"],
        "GET /v1/councils/{slug}/destinations/{name}": ["401", "403", "404", "pass", "pass"],
        "PATCH /v1/councils/{slug}/destinations/{name}": ["401", "403", "404", "pass", "pass"],
        "DELETE /v1/councils/{slug}/destinations/{name}": ["401", "403", "404", "pass", "pass"],
        "POST /v1/councils/{slug}/destinations/{name}/rotate-secret": ["401", "403", "404", "pass", "pass"],
        "GET /v1/councils/{slug}/destinations/{name}/attempts": ["401", "403", "404", "pass", "pass"],
        "GET /v1/councils/{slug}/destinations/{name}/dead": ["401", "403", "404", "pass", "pass"],
        "POST /v1/councils/{slug}/destinations/{name}/dead/{message_id}/redrive": ["401", "403", "404", "pass", "pass"],
        "GET /v1/dispatch/stats": ["401", "403", "403", "403", "pass"],
        // Each back office has its own queue `cases`: the other council's key reads its own.
        "GET /v1/backoffice/queues": ["401", "403", "pass", "pass", "403"],
        "POST /v1/backoffice/queues/{queue}/receive": ["401", "403", "pass", "pass", "403"],
        "POST /v1/backoffice/queues/{queue}/ack": ["401", "403", "pass", "pass", "403"],
        "GET /v1/backoffice/queues/{queue}/dead": ["401", "403", "pass", "pass", "403"],
        // …but Barchester's message is not in it.
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/ack": ["401", "403", "404", "pass", "403"],
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/visibility": ["401", "403", "404", "pass", "403"],
        "POST /v1/backoffice/queues/{queue}/dead/{message_id}/redrive": ["401", "403", "404", "pass", "403"],
        "POST /v1/backoffice/cases/{id}/acknowledge": ["401", "403", "404", "pass", "403"],
        "POST /v1/backoffice/cases/{id}/status": ["401", "403", "404", "pass", "403"],
        "POST /v1/payment-intents": ["401", "pass", "403", "403", "403"],
        // The client is the one that made the intent.
        "GET /v1/payment-intents/{id}": ["401", "pass", "404", "pass", "pass"],
        "GET /v1/councils/{slug}/payment-settings": ["401", "403", "404", "pass", "pass"],
        "PUT /v1/councils/{slug}/payment-settings": ["401", "403", "403", "403", "pass"],
        "GET /v1/councils/{slug}/notify-settings": ["401", "403", "404", "pass", "pass"],
        "PUT /v1/councils/{slug}/notify-settings": ["401", "403", "404", "pass", "pass"],
        "POST /v1/alerts": ["401", "pass", "403", "403", "403"],
        "POST /v1/alerts/erase": ["401", "403", "403", "403", "pass"],
        "POST /v1/councils/{slug}/staff": ["401", "403", "404", "pass", "pass"],
        "GET /v1/councils/{slug}/payments": ["401", "403", "404", "pass", "pass"],
        "GET /v1/councils/{slug}/payments/reconciliation": ["401", "403", "404", "pass", "pass"],
    ]

    /// Bodies that get an allowed caller as far as looking the resource up.
    static let bodies: [String: String] = [
        "POST /v1/backoffice/cases/{id}/acknowledge": #"{"external_reference": "CRM-1"}"#,
        "POST /v1/backoffice/cases/{id}/status": #"{"status": "in_progress"}"#,
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/ack": #"{"receipt_handle": "\#(UUID().uuidString.lowercased())"}"#,
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/visibility":
            #"{"receipt_handle": "\#(UUID().uuidString.lowercased())", "visibility_timeout": 30}"#,
    ]

    @Test func theTableCoversEveryKeyedRoute() {
        #expect(Set(Self.expected.keys) == Set(AccessRule.table.keys))
        #expect(Self.expected.values.allSatisfy { $0.count == Caller.allCases.count })
    }

    @Test func everyRouteAnswersEachCallerAsTheTableSays() async throws {
        try await withApp { client, testDB in
            let reportID = try await PullQueueTests.seeded(testDB, reports: 1)[0]
            let messageID = try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.scalar(database, "SELECT message_id FROM dispatch_jobs WHERE report_id = '\(reportID)'", as: UUID.self)
            }
            // Barchester sends notifications, so its settings can be read by those allowed to.
            try await testDB.withDatabase(poolSize: 1) { database in
                let barchester = try await DispatchFixtures.scalar(database, "SELECT id FROM councils WHERE slug = 'barchester'", as: UUID.self)
                try await NotifySettingsStore(database: database, logger: .quiet).put(
                    councilID: try #require(barchester),
                    NotifySettings(
                        apiKey: NotifyAPIKey(parsing: FakeNotify.apiKey)!,
                        templates: [:],
                        emailReplyToID: nil,
                        smsSenderID: nil,
                        channels: [.email]
                    )
                )
            }
            let keys: [Caller: HTTPFields] = [
                .none: [:],
                .client: try await bearer(testDB, role: .client),
                .otherCouncil: try await bearer(testDB, role: .backoffice, council: "plumstead"),
                .ownCouncil: try await bearer(testDB, role: .backoffice, council: "barchester"),
                .admin: try await bearer(testDB, role: .admin),
            ]
            let json: HTTPFields = [.contentType: "application/json"]
            let intent = try await client.execute(
                uri: "/v1/payment-intents",
                method: .post,
                headers: keys[.client]!.merging(json).merging([HTTPField.Name("Idempotency-Key")!: UUID().uuidString]),
                body: ByteBuffer(
                    string:
                        #"{"council": "barchester", "purpose": "council_tax", "account_reference": "41234561", "amount": 100, "return_url": "https://app.example/paid"}"#
                )
            ) { $0.json["id"] as? String }
            let intentID = try #require(intent)

            for route in Self.expected.keys.sorted() {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                for (index, caller) in Caller.allCases.enumerated() {
                    var path = String(parts[1])
                    var prefix = "ci_0000000000"
                    if route == "DELETE /v1/api-keys/{prefix}" {
                        let fresh = try await bearer(testDB, role: .client)[.authorization]!.dropFirst("Bearer ".count)
                        prefix = fresh.split(separator: "_").prefix(2).joined(separator: "_")
                    }
                    if route == "DELETE /v1/councils/{slug}/categories/{code}" {
                        try await testDB.execute("UPDATE categories SET retired_at = NULL WHERE code = 'fly_tipping'")
                    }
                    let id = path.hasPrefix("/v1/payment-intents") ? intentID : reportID.uuidString.lowercased()
                    for (name, value) in [
                        ("{slug}", "barchester"), ("{code}", "fly_tipping"), ("{name}", "cases"), ("{queue}", "cases"), ("{id}", id),
                        ("{prefix}", prefix), ("{message_id}", messageID?.uuidString.lowercased() ?? ""),
                    ] {
                        path = path.replacingOccurrences(of: name, with: value)
                    }
                    let hasBody = method == .post || method == .put || method == .patch
                    let (status, text) = try await client.execute(
                        uri: path,
                        method: method,
                        headers: hasBody ? keys[caller]!.merging(json) : keys[caller]!,
                        body: hasBody ? ByteBuffer(string: Self.bodies[route] ?? "{}") : nil
                    ) { (Int($0.status.code), $0.text) }
                    let want = Self.expected[route]![index]
                    let ok = want == "pass" ? ![401, 403, 404].contains(status) : status == Int(want)
                    #expect(ok, "\(route) as \(caller.rawValue): \(status), expected \(want): \(text.prefix(200))")
                }
            }
        }
    }
}
