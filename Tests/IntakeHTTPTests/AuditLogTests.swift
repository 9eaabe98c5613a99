import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

@testable import IntakeHTTP

/// Every change by an admin or back-office key is in the audit log, without its secrets.
@Suite struct AuditLogTests {
    static func audit(
        _ client: any TestClientProtocol,
        _ admin: HTTPFields,
        _ query: String = ""
    ) async throws -> (HTTPResponse.Status, [String: Any], String) {
        try await client.execute(uri: "/v1/audit" + query, method: .get, headers: admin) { ($0.status, $0.json, $0.text) }
    }

    @Test func changesAreRecordedWithActorRequestAndOutcomeButNoSecrets() async throws {
        try await withApp { client, testDB in
            let reports = try await PullQueueTests.seeded(testDB, reports: 1)
            let admin = try await bearer(testDB, role: .admin)
            let adminPrefix = String(admin[.authorization]!.dropFirst("Bearer ".count).split(separator: "_").prefix(2).joined(separator: "_"))
            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            let json: HTTPFields = [.contentType: "application/json"]

            // A new key: its whole token must never reach the log.
            let token = try await client.execute(
                uri: "/v1/api-keys",
                method: .post,
                headers: admin.merging(json).merging([HTTPField.Name("X-Request-Id")!: "req-key-1"]),
                body: ByteBuffer(string: #"{"role": "client", "label": "Barchester app"}"#)
            ) { $0.json["key"] as? String }
            let newKey = try #require(token)
            // A webhook by the council's own staff, and its secret rotated.
            let (_, hook) = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/destinations",
                staff,
                #"{"name": "crm", "kind": "webhook", "url": "https://crm.barchester.example/hooks"}"#
            )
            let signing = try #require(hook["signing_secret"] as? String)
            let (_, rotated) = try await PullQueueTests.post(client, "/v1/councils/barchester/destinations/crm/rotate-secret", staff)
            let rotatedSecret = try #require(rotated["signing_secret"] as? String)
            // Payment settings with GOV.UK Pay secrets in the body.
            let put = try await client.execute(
                uri: "/v1/councils/barchester/payment-settings",
                method: .put,
                headers: admin.merging(json),
                body: ByteBuffer(string: SecretsAtRestTests.payBody)
            ) { $0.status }
            #expect(put == .ok)
            // A refused change is recorded too, with its status.
            let (refused, _) = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/destinations",
                staff,
                #"{"name": "Bad Name", "kind": "pull"}"#
            )
            #expect(refused == .unprocessableContent)
            // An erasure.
            let erased = try await client.execute(uri: "/v1/reports/\(reports[0].uuidString.lowercased())/reporter", method: .delete, headers: admin)
            {
                $0.status
            }
            #expect(erased == .noContent)
            // Reads are not changes.
            _ = try await client.execute(uri: "/v1/api-keys", method: .get, headers: admin) { $0.status }

            let (status, page, text) = try await Self.audit(client, admin)
            #expect(status == .ok)
            let events = try #require(page["events"] as? [[String: Any]])
            #expect(
                events.compactMap { $0["action"] as? String } == [
                    "reporter.erase", "destination.create", "payment_settings.put", "destination.secret.rotate", "destination.create",
                    "api_key.create",
                ]
            )
            for secret in [newKey, signing, rotatedSecret, "api_test_SECRETVALUE1234567890", "webhook-secret-VALUE-0987654321"] {
                #expect(!text.contains(secret))
            }
            let keyEvent = try #require(events.last)
            #expect(keyEvent["request_id"] as? String == "req-key-1")
            #expect(keyEvent["status"] as? Int == 201)
            #expect(keyEvent["route"] as? String == "/v1/api-keys")
            #expect((keyEvent["actor"] as? [String: Any])?["key_prefix"] as? String == adminPrefix)
            #expect((keyEvent["actor"] as? [String: Any])?["role"] as? String == "admin")
            let changes = try #require(keyEvent["changes"] as? [String: Any])
            #expect(changes["label"] as? String == "Barchester app")
            #expect((changes["key_prefix"] as? String).map { newKey.hasPrefix($0 + "_") } == true)

            let payEvent = events[2]
            let payChanges = try #require(payEvent["changes"] as? [String: Any])
            #expect(payChanges["api_key"] as? String == "[redacted]")
            #expect(payChanges["webhook_secret"] as? String == "[redacted]")
            #expect(payChanges["fund_code"] as? String == "CTAX")
            #expect(payEvent["council"] as? String == "barchester")

            let refusedEvent = events[1]
            #expect(refusedEvent["status"] as? Int == 422)
            #expect((refusedEvent["actor"] as? [String: Any])?["council"] as? String == "barchester")
            #expect((refusedEvent["actor"] as? [String: Any])?["role"] as? String == "backoffice")
            let rotateEvent = events[3]
            #expect((rotateEvent["target"] as? [String: Any])?["name"] as? String == "crm")
            #expect(events[0]["council"] == nil)
            #expect((events[0]["target"] as? [String: Any])?["id"] as? String == reports[0].uuidString.lowercased())
            #expect(events.allSatisfy { $0["completed_at"] != nil && $0["at"] != nil })
        }
    }

    @Test func everyChangeStaffCanMakeIsAuditedOrKeptInACaseTimeline() {
        let staffChanges = AccessRule.table.filter { route, rule in
            guard !route.hasPrefix("GET ") else { return false }
            switch rule {
            case .councilStaff: return true
            case .roles(let roles): return !roles.isDisjoint(with: [.admin, .backoffice])
            case .trackingToken: return false
            }
        }
        let covered = Set(AuditedRoute.actions.keys).union(AuditedRoute.unaudited)
        #expect(Set(staffChanges.keys).subtracting(covered).isEmpty, "not audited: \(Set(staffChanges.keys).subtracting(covered).sorted())")
        #expect(covered.subtracting(staffChanges.keys).isEmpty)
    }

    @Test func theLogIsFilteredAndPagedForAdminsOnly() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let admin = try await bearer(testDB, role: .admin)
            let barchester = try await bearer(testDB, role: .backoffice, council: "barchester")
            let plumstead = try await bearer(testDB, role: .backoffice, council: "plumstead")
            for name in ["q1", "q2", "q3"] {
                let (status, _) = try await PullQueueTests.post(
                    client,
                    "/v1/councils/barchester/destinations",
                    barchester,
                    #"{"name": "\#(name)", "kind": "pull"}"#
                )
                #expect(status == .created)
            }
            let (status, _) = try await PullQueueTests.post(
                client,
                "/v1/councils/plumstead/destinations",
                plumstead,
                #"{"name": "p1", "kind": "pull"}"#
            )
            #expect(status == .created)

            let (_, first, _) = try await Self.audit(client, admin, "?council=barchester&limit=2")
            let firstEvents = try #require(first["events"] as? [[String: Any]])
            #expect(firstEvents.count == 2)
            let cursor = try #require(first["next_cursor"] as? String)
            let (_, second, _) = try await Self.audit(client, admin, "?council=barchester&limit=2&cursor=\(cursor)")
            let secondEvents = try #require(second["events"] as? [[String: Any]])
            #expect(second["next_cursor"] == nil)
            let names = (firstEvents + secondEvents).compactMap { ($0["target"] as? [String: Any])?["slug"] as? String }
            #expect(names == ["barchester", "barchester", "barchester"])
            let ids = (firstEvents + secondEvents).compactMap { $0["id"] as? String }
            #expect(Set(ids).count == 3)

            let (_, byAction, _) = try await Self.audit(client, admin, "?action=destination.create&council=plumstead")
            #expect((byAction["events"] as? [[String: Any]])?.count == 1)
            let plumsteadPrefix = String(plumstead[.authorization]!.dropFirst("Bearer ".count).split(separator: "_").prefix(2).joined(separator: "_"))
            let (_, byActor, _) = try await Self.audit(client, admin, "?actor=\(plumsteadPrefix)")
            #expect((byActor["events"] as? [[String: Any]])?.compactMap { $0["council"] as? String } == ["plumstead"])
            // Empty values, as forms send them, filter nothing.
            let (_, blank, _) = try await Self.audit(client, admin, "?council=&actor=&action=&from=&to=&cursor=")
            #expect((blank["events"] as? [[String: Any]])?.count == 4)
            let (_, future, _) = try await Self.audit(client, admin, "?from=2999-01-01")
            #expect((future["events"] as? [[String: Any]])?.isEmpty == true)
            let (badCursor, problem, _) = try await Self.audit(client, admin, "?cursor=abc")
            #expect(badCursor == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/query/cursor")

            #expect(try await client.execute(uri: "/v1/audit", method: .get, headers: barchester) { $0.status } == .forbidden)
            #expect(try await client.execute(uri: "/v1/audit", method: .get) { $0.status } == .unauthorized)
        }
    }

    @Test func aWholeKeyPastedInsteadOfItsPrefixIsRevokedAndNeverKept() async throws {
        let logs = LogCapture()
        try await withApp(logs: logs) { client, testDB in
            let admin = try await bearer(testDB, role: .admin)
            let victim = String(try await bearer(testDB, role: .client)[.authorization]!.dropFirst("Bearer ".count))
            let revoked = try await client.execute(uri: "/v1/api-keys/\(victim)", method: .delete, headers: admin) { $0.status }
            #expect(revoked == .noContent)
            #expect(
                try await client.execute(uri: "/v1/councils/x", method: .patch, headers: [.authorization: "Bearer \(victim)"]) { $0.status }
                    == .unauthorized
            )
            let (_, _, text) = try await Self.audit(client, admin)
            let secret = String(victim.split(separator: "_")[2])
            #expect(text.contains(victim.split(separator: "_").prefix(2).joined(separator: "_")))
            #expect(!text.contains(secret))
            #expect(!logs.entries.contains { "\($0.message) \($0.metadata)".contains(secret) })
        }
    }

    @Test func keysShowWhenTheyWereLastUsed() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let admin = try await bearer(testDB, role: .admin)
            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            func lastUsed() async throws -> [String: String] {
                let keys = try await client.execute(uri: "/v1/api-keys", method: .get, headers: admin) { $0.json["keys"] as? [[String: Any]] ?? [] }
                var found: [String: String] = [:]
                for key in keys { found[key["role"] as? String ?? ""] = key["last_used_at"] as? String ?? "" }
                return found
            }
            _ = try await client.execute(uri: "/v1/backoffice/queues", method: .get, headers: staff) { $0.status }
            var used: [String: String] = [:]
            for _ in 0..<40 {
                used = try await lastUsed()
                if used["backoffice"] != "" && used["admin"] != "" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(used["backoffice"]?.isEmpty == false)
            #expect(used["admin"]?.isEmpty == false)
            let stamp = try #require(used["backoffice"].flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(stamp.timeIntervalSinceNow) < 30)
        }
    }
}
