import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Councils' GOV.UK Notify settings: the key is write-only and sealed at rest, template ids are
/// checked, and only an admin or the council's own back office may read or change them.
@Suite struct NotifySettingsTests {
    static let uri = "/v1/councils/barchester/notify-settings"
    static let template = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    static let replyTo = "8e222534-7f05-4972-86e3-17c5d9f894e2"

    static func put(_ client: some TestClientProtocol, _ headers: HTTPFields, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: uri, method: .put, headers: headers.merging([.contentType: "application/json"]), body: ByteBuffer(string: body))
        {
            ($0.status, $0.json)
        }
    }

    @Test func theCouncilsBackOfficeSetsItsNotifyServiceAndTheKeyIsNeverShown() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            let none = try await client.execute(uri: Self.uri, method: .get, headers: staff) { $0.status }
            #expect(none == .notFound)

            let (status, json) = try await Self.put(
                client,
                staff,
                """
                {"api_key": "\(FakeNotify.apiKey)", "templates": {"status_changed": "\(Self.template)", "report_received": "\(Self.template.uppercased())"},
                 "email_reply_to_id": "\(Self.replyTo)", "channels": ["sms", "email"]}
                """
            )
            #expect(status == .ok, "\(json)")
            #expect(json["api_key_set"] as? Bool == true)
            #expect(json["service_id"] as? String == FakeNotify.serviceID)
            #expect(json["key_name"] as? String == "civic-intake-test")
            #expect(json["templates"] as? [String: String] == ["status_changed": Self.template, "report_received": Self.template])
            #expect(json["email_reply_to_id"] as? String == Self.replyTo)
            #expect(json["channels"] as? [String] == ["email", "sms"])
            #expect(json["api_key"] == nil)

            let read = try await client.execute(uri: Self.uri, method: .get, headers: staff) { $0.text }
            #expect(!read.contains(FakeNotify.secret))
            let stored = try await StoredSecrets.values(testDB)
            #expect(stored.contains { $0.hasPrefix("sealed:v1:") })
            #expect(!stored.joined().contains(FakeNotify.secret))

            // Left out, the key stays; everything else is replaced.
            let (again, replaced) = try await Self.put(client, staff, #"{"templates": {"closed": "\#(Self.template)"}}"#)
            #expect(again == .ok)
            #expect(replaced["service_id"] as? String == FakeNotify.serviceID)
            #expect(replaced["templates"] as? [String: String] == ["closed": Self.template])
            #expect(replaced["channels"] as? [String] == ["email"])
            #expect(replaced["email_reply_to_id"] == nil)
            // Each change is in the audit log, the key redacted.
            let admin = try await bearer(testDB, role: .admin)
            let audit = try await client.execute(uri: "/v1/audit?council=barchester", method: .get, headers: admin) { $0.text }
            #expect(audit.contains("notify_settings.put"))
            #expect(!audit.contains(FakeNotify.secret))
            let (twice, once) = try await Self.put(client, staff, #"{"channels": ["sms", "sms"]}"#)
            #expect(twice == .ok)
            #expect(once["channels"] as? [String] == ["sms"])
        }
    }

    @Test func badSettingsAreRefusedFieldByField() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let admin = try await bearer(testDB, role: .admin)
            let (missing, noKey) = try await Self.put(client, admin, #"{"channels": ["email"]}"#)
            #expect(missing == .unprocessableContent)
            #expect((noKey["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/api_key")
            #expect((noKey["errors"] as? [[String: Any]])?.first?["code"] as? String == "required")

            let (bad, fields) = try await Self.put(
                client,
                admin,
                #"{"api_key": "not-a-notify-key", "templates": {"closed": "template-one"}, "sms_sender_id": "sender"}"#
            )
            #expect(bad == .unprocessableContent)
            let pointers = ((fields["errors"] as? [[String: Any]]) ?? []).compactMap { $0["pointer"] as? String }
            #expect(pointers == ["/api_key", "/templates/closed", "/sms_sender_id"])

            // The contract has no nullable field: a null is refused, naming it.
            let (null, named) = try await Self.put(
                client,
                admin,
                #"{"api_key": "\#(FakeNotify.apiKey)", "channels": null, "templates": {"closed": null}}"#
            )
            #expect(null == .unprocessableContent)
            let nulls = ((named["errors"] as? [[String: Any]]) ?? []).compactMap { $0["pointer"] as? String }
            #expect(Set(nulls) == ["/channels", "/templates/closed"])

            // A template this service does not send is a mistake worth hearing about.
            let (unknown, _) = try await Self.put(
                client,
                admin,
                #"{"api_key": "\#(FakeNotify.apiKey)", "templates": {"status_change": "\#(Self.template)"}}"#
            )
            #expect(unknown.code >= 400 && unknown.code < 500)
            let none = try await client.execute(uri: Self.uri, method: .get, headers: admin) { $0.status }
            #expect(none == .notFound)
        }
    }

    @Test func onlyAnAdminOrTheCouncilsOwnBackOfficeMayReadOrChangeThem() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let body = #"{"api_key": "\#(FakeNotify.apiKey)"}"#
            let other = try await bearer(testDB, role: .backoffice, council: "plumstead")
            let app = try await bearer(testDB, role: .client)
            #expect(try await Self.put(client, other, body).0 == .notFound)
            #expect(try await Self.put(client, app, body).0 == .forbidden)
            #expect(try await Self.put(client, [:], body).0 == .unauthorized)
            #expect(try await client.execute(uri: Self.uri, method: .get, headers: other) { $0.status } == .notFound)
            let admin = try await bearer(testDB, role: .admin)
            #expect(try await Self.put(client, admin, body).0 == .ok)
        }
    }
}
