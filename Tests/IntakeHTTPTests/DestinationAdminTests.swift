import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Managing a council's destinations, and what operators can see of them.
@Suite struct DestinationAdminTests {
    static let base = "/v1/councils/barchester/destinations"

    @Test func aWebhookDestinationIsCreatedWithItsSecretShownOnce() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let (created, body) = try await PullQueueTests.post(
                client,
                Self.base,
                key,
                #"{"name": "crm", "kind": "webhook", "url": "https://crm.barchester.example/hooks"}"#
            )
            #expect(created == .created)
            let secret = try #require(body["signing_secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            #expect(body["max_attempts"] as? Int == 10)
            #expect(body["enabled"] as? Bool == true)

            let fetched = try await client.execute(uri: Self.base + "/crm", method: .get, headers: key) { $0.json }
            #expect(fetched["signing_secret"] == nil)
            #expect((fetched["queue"] as? [String: Any])?["depth"] as? Int == 0)

            let (rotated, after) = try await PullQueueTests.post(client, Self.base + "/crm/rotate-secret", key)
            #expect(rotated == .ok)
            #expect(after["signing_secret"] as? String != secret)
            #expect(after["previous_secret_expires_at"] != nil)

            let (duplicate, problem) = try await PullQueueTests.post(
                client,
                Self.base,
                key,
                #"{"name": "crm", "kind": "webhook", "url": "https://crm.barchester.example/hooks"}"#
            )
            #expect(duplicate == .conflict)
            #expect(problem["code"] as? String == "destination_exists")
            let names = try await client.execute(uri: Self.base, method: .get, headers: key) {
                ($0.json["destinations"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            }
            #expect(names == ["cases", "crm", "revenues"])
            #expect(try await client.execute(uri: Self.base + "/crm", method: .delete, headers: key) { $0.status } == .noContent)
        }
    }

    @Test(arguments: [
        (#"{"name": "crm", "kind": "webhook", "url": "http://crm.example/hooks"}"#, "/url"),
        (#"{"name": "crm", "kind": "webhook"}"#, "/url"),
        (#"{"name": "crm", "kind": "pull", "url": "https://crm.example"}"#, "/url"),
        (#"{"name": "Bad Name", "kind": "pull"}"#, "/name"),
        (#"{"name": "crm", "kind": "open311", "url": "https://o.example/", "timeout_seconds": 0}"#, "/timeout_seconds"),
        (#"{"name": "crm", "kind": "pull", "max_attempts": 51}"#, "/max_attempts"),
        (#"{"name": "crm", "kind": "webhook", "url": "https://x.example", "open311_api_key": "k"}"#, "/open311_api_key"),
        (#"{"name": "o311", "kind": "open311", "url": "https://x.example/open311/v2/", "receives_payments": true}"#, "/receives_payments"),
    ])
    func invalidDestinationsAreRefusedNamingTheField(body: String, pointer: String) async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .admin)
            let (status, problem) = try await PullQueueTests.post(client, Self.base, key, body)
            #expect(status == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == pointer)
        }
    }

    @Test func aDestinationWithWaitingMessagesCannotBeDeleted() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 1)
            let key = try await bearer(testDB, role: .admin)
            let (status, problem) = try await client.execute(uri: Self.base + "/cases", method: .delete, headers: key) {
                ($0.status, $0.json)
            }
            #expect(status == .conflict)
            #expect(problem["code"] as? String == "destination_in_use")
        }
    }

    @Test(arguments: [
        "https://127.0.0.1/hooks", "https://localhost:8443/hooks", "https://10.1.2.3/hooks", "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks", "https://[fd00::5]/x", "https://2130706433/hooks", "https://0x7f.0.0.1/hooks", "https://192.168.0.10/x",
    ])
    func destinationsInsideTheNetworkAreRefused(url: String) async throws {
        try await withApp { client, testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let admin = try await bearer(testDB, role: .admin)
            let (status, problem) = try await PullQueueTests.post(
                client,
                Self.base,
                admin,
                #"{"name": "crm", "kind": "webhook", "url": "\#(url)"}"#
            )
            #expect(status == .unprocessableContent, "\(url)")
            let errors = problem["errors"] as? [[String: Any]]
            #expect(errors?.first?["pointer"] as? String == "/url")
            #expect(errors?.first?["code"] as? String == "private_address", "\(problem)")
        }
    }

    @Test func theLocalTestingAllowanceAdmitsThem() async throws {
        try await withApp(configure: { $0.allowPrivateDestinations = true }) { client, testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let admin = try await bearer(testDB, role: .admin)
            let (status, _) = try await PullQueueTests.post(
                client,
                Self.base,
                admin,
                #"{"name": "crm", "kind": "webhook", "url": "https://127.0.0.1/hooks"}"#
            )
            #expect(status == .created)
        }
    }

    @Test func casesWaitForADestinationAndFollowANewDefault() async throws {
        try await withApp(configure: {
            $0.allowHTTPDestinations = true
            $0.allowPrivateDestinations = true
        }) { client, testDB in
            // A council with no destination at all: its cases wait, counted as unrouted.
            try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.seed(database)
                try await DispatchFixtures.execute(database, "DELETE FROM destinations")
                try await DispatchFixtures.report(database)
            }
            let admin = try await bearer(testDB, role: .admin)
            let stats = try await client.execute(uri: "/v1/dispatch/stats", method: .get, headers: admin) { $0.json }
            #expect(stats["unrouted"] as? Int == 1)
            let (created, _) = try await PullQueueTests.post(
                client,
                Self.base,
                admin,
                #"{"name": "crm", "kind": "webhook", "url": "http://127.0.0.1:9/hooks", "default": true}"#
            )
            #expect(created == .created)
            let after = try await client.execute(uri: "/v1/dispatch/stats", method: .get, headers: admin) { $0.json }
            #expect(after["unrouted"] as? Int == 0)
            let crm = (after["destinations"] as? [[String: Any]])?.first { $0["name"] as? String == "crm" }
            #expect((crm?["queue"] as? [String: Any])?["depth"] as? Int == 1)
            // Operators only.
            let backoffice = try await bearer(testDB, role: .backoffice, council: "barchester")
            #expect(try await client.execute(uri: "/v1/dispatch/stats", method: .get, headers: backoffice) { $0.status } == .forbidden)
        }
    }

    @Test func aCategoryCanOnlyNameADestinationItsCouncilHas() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let patch = { (body: String) in
                try await client.execute(
                    uri: "/v1/councils/barchester/categories/graffiti",
                    method: .patch,
                    headers: key.merging([.contentType: "application/json"]),
                    body: ByteBuffer(string: body)
                ) { ($0.status, $0.json) }
            }
            let (refused, problem) = try await patch(#"{"destination": "crm"}"#)
            #expect(refused == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["code"] as? String == "unknown_destination")
            #expect(try await patch(#"{"destination": "cases"}"#).0 == .ok)
            // Named by a category, the destination cannot be deleted.
            let (status, conflict) = try await client.execute(uri: Self.base + "/cases", method: .delete, headers: key) {
                ($0.status, $0.json)
            }
            #expect(status == .conflict)
            #expect((conflict["detail"] as? String)?.contains("categories") == true)
        }
    }
}
