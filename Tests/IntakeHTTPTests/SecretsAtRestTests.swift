import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Secrets the service must use again are stored sealed with SECRETS_KEY: a reader of the
/// database learns none of them, and the service still signs, calls and verifies with them.
@Suite struct SecretsAtRestTests {
    static let payBody = #"""
        {"provider": "govuk_pay", "api_key": "api_test_SECRETVALUE1234567890", "webhook_secret": "webhook-secret-VALUE-0987654321",
         "fund_code": "CTAX", "account_reference": {"pattern": "4[0-9]{7}", "description": "8 digits from 4", "example": "41234567"}}
        """#

    static func storedSecrets(_ testDB: TestDatabase) async throws -> [String] {
        try await StoredSecrets.values(testDB)
    }

    @Test func destinationAndPaymentSecretsAreSealedInTheDatabase() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let admin = try await bearer(testDB, role: .admin)
            let base = "/v1/councils/barchester/destinations"
            let (created, hook) = try await PullQueueTests.post(
                client,
                base,
                admin,
                #"{"name": "crm", "kind": "webhook", "url": "https://crm.barchester.example/hooks"}"#
            )
            #expect(created == .created)
            let signing = try #require(hook["signing_secret"] as? String)
            let (rotated, after) = try await PullQueueTests.post(client, base + "/crm/rotate-secret", admin)
            #expect(rotated == .ok)
            let newSigning = try #require(after["signing_secret"] as? String)
            let (o311, _) = try await PullQueueTests.post(
                client,
                base,
                admin,
                #"{"name": "o311", "kind": "open311", "url": "https://o311.barchester.example/v2/", "open311_api_key": "OPEN311-KEY-abcdef123456"}"#
            )
            #expect(o311 == .created)
            let put = try await client.execute(
                uri: "/v1/councils/barchester/payment-settings",
                method: .put,
                headers: admin.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: Self.payBody)
            ) { $0.status }
            #expect(put == .ok)

            let stored = try await Self.storedSecrets(testDB)
            // Sandbox payment secrets of the demo councils, two webhook secrets, one Open311 key, one GOV.UK Pay key.
            #expect(stored.count >= 5)
            for value in stored { #expect(value.hasPrefix("sealed:v1:\(TestSecrets.keyring.current!.id):"), "\(value.prefix(12))…") }
            let everything = stored.joined()
            for secret in [signing, newSigning, "OPEN311-KEY-abcdef123456", "api_test_SECRETVALUE1234567890", "webhook-secret-VALUE-0987654321"] {
                #expect(!everything.contains(secret))
                #expect(!everything.contains(String(secret.suffix(12))))
            }
            // The service still reads them: the payment settings say a key is set, and the
            // public council list (which opens none of them) still shows the council.
            let settings = try await client.execute(uri: "/v1/councils/barchester/payment-settings", method: .get, headers: admin) { $0.json }
            #expect(settings["api_key_set"] as? Bool == true)
            #expect(settings["api_key"] == nil && settings["webhook_secret"] == nil)
            let councils = try await client.execute(uri: "/v1/councils", method: .get) { $0.status }
            #expect(councils == .ok)
        }
    }

    @Test func withoutAKeyNoSecretCanBeStoredButEverythingElseWorks() async throws {
        try await withApp(configure: { $0.secrets = .none }) { client, testDB in
            // A council without payment settings: no stored secret at all.
            let admin = try await bearer(testDB, role: .admin)
            let (council, _) = try await PullQueueTests.post(
                client,
                "/v1/councils",
                admin,
                #"{"slug": "east", "name": "East Council", "tier": "unitary"}"#
            )
            #expect(council == .created)
            let base = "/v1/councils/east/destinations"
            let (pull, _) = try await PullQueueTests.post(client, base, admin, #"{"name": "cases", "kind": "pull"}"#)
            #expect(pull == .created)
            let (hook, problem) = try await PullQueueTests.post(
                client,
                base,
                admin,
                #"{"name": "crm", "kind": "webhook", "url": "https://crm.east.example/hooks"}"#
            )
            #expect(hook == .serviceUnavailable)
            #expect(problem["code"] as? String == "secrets_key_missing")
            #expect((problem["detail"] as? String)?.contains("SECRETS_KEY") == true)
            #expect(try await Self.storedSecrets(testDB).isEmpty)
        }
    }
}
