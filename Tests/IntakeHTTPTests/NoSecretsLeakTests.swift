import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Secrets and reporters' details never reach the logs (at trace level), problems or metrics.
@Suite struct NoSecretsLeakTests {
    @Test func secretsAndContactDetailsStayOutOfLogsProblemsAndMetrics() async throws {
        let logs = LogCapture()
        try await withApp(logs: logs) { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let admin = try await bearer(testDB, role: .admin)
            let adminToken = String(admin[.authorization]!.dropFirst("Bearer ".count))
            let json: HTTPFields = [.contentType: "application/json"]
            var answers: [String] = []
            var secrets = [
                adminToken, "api_test_SECRETVALUE1234567890", "webhook-secret-VALUE-0987654321", "eleanor.secret@example.org", "01632 960777",
            ]

            let newKey = try await client.execute(
                uri: "/v1/api-keys",
                method: .post,
                headers: admin.merging(json),
                body: ByteBuffer(string: #"{"role": "client"}"#)
            ) { $0.json["key"] as? String }
            let clientToken = try #require(newKey)
            secrets.append(clientToken)
            let (_, hook) = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/destinations",
                admin,
                #"{"name": "crm", "kind": "webhook", "url": "https://crm.barchester.example/hooks"}"#
            )
            secrets.append(try #require(hook["signing_secret"] as? String))
            _ = try await client.execute(
                uri: "/v1/councils/barchester/payment-settings",
                method: .put,
                headers: admin.merging(json),
                body: ByteBuffer(string: SecretsAtRestTests.payBody)
            ) { $0.status }

            let clientKey: HTTPFields = [.authorization: "Bearer \(clientToken)"]
            let report = #"""
                {"category": "fly_tipping", "location": {"lat": 52.3, "lon": -1.9}, "description": "Sofa in the close.",
                 "attributes": {"waste_type": "household", "size": "car_boot"},
                 "reporter": {"name": "Eleanor Bold", "email": "eleanor.secret@example.org", "phone": "01632 960777"}}
                """#
            let idempotencyKey = "idem-\(UUID().uuidString)"
            secrets.append(idempotencyKey)
            let created = try await client.execute(
                uri: "/v1/reports",
                method: .post,
                headers: clientKey.merging(json).merging([HTTPField.Name("Idempotency-Key")!: idempotencyKey]),
                body: ByteBuffer(string: report)
            ) { $0.json }
            let trackingToken = try #require(created["tracking_token"] as? String)
            secrets.append(trackingToken)

            // Refusals that carry a secret in the request: none is echoed in the problem.
            let wrongSecret = clientToken.dropLast(4) + "beef"
            let wrongKey: HTTPFields = [.authorization: "Bearer \(wrongSecret)", .contentType: "application/json"]
            answers.append(
                try await client.execute(uri: "/v1/reports", method: .post, headers: wrongKey, body: ByteBuffer(string: report)) {
                    $0.text
                }
            )
            secrets.append(String(wrongSecret))
            let id = try #require(created["id"] as? String)
            let wrongToken = trackingToken.dropLast(3) + "xyz"
            secrets.append(String(wrongToken))
            answers.append(
                try await client.execute(
                    uri: "/v1/reports/\(id)/updates",
                    method: .post,
                    headers: json.merging([HTTPField.Name("X-Tracking-Token")!: String(wrongToken)]),
                    body: ByteBuffer(string: #"{"comment": "Still there."}"#)
                ) { $0.text }
            )
            answers.append(
                try await client.execute(
                    uri: "/v1/councils/barchester/payment-settings",
                    method: .put,
                    headers: admin.merging(json),
                    body: ByteBuffer(string: #"{"provider": "govuk_pay", "api_key": "api_test_SECRETVALUE1234567890", "fund_code": 7}"#)
                ) { $0.text }
            )
            answers.append(try await client.execute(uri: "/v1/audit", method: .get, headers: admin) { $0.text })
            answers.append(try await client.execute(uri: "/metrics", method: .get, headers: admin) { $0.text })

            let logged = logs.entries.map { "\($0.message) \($0.metadata)" }
            #expect(!logged.isEmpty)
            for secret in secrets {
                for line in logged { #expect(!line.contains(secret), "a log line holds a secret: \(line.prefix(120))") }
                for answer in answers { #expect(!answer.contains(secret), "an answer holds a secret: \(answer.prefix(120))") }
            }
        }
    }
}
