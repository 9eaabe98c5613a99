import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Requests the contract check (schemathesis) found answered wrongly: each once crashed the
/// process, answered 500, or refused what the contract allows.
@Suite struct ContractFindingsTests {
    /// A multipart body whose only part is empty (the boundary twice) crashed the process.
    @Test func anEmptyMultipartPartIsAnOpen311ErrorNotACrash() async throws {
        try await withApp { client, testDB in
            let key = try await Open311Tests.seeded(testDB)
            let boundary = "4bea7452f2ee0b8418ae8c1020a88206"
            let body = "--\(boundary)\r\n--\(boundary)--\r\n"
            try await client.execute(
                uri: "/open311/v2/requests.xml?api_key=\(key)",
                method: .post,
                headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest, "\(response.text)")
                #expect(response.text.contains("<errors>"))
            }
            // The service is still there.
            let (status, _, _) = try await Open311Tests.get(client, "discovery.json")
            #expect(status == 200)
        }
    }

    /// NUL reaches PostgreSQL through the facade's filters: a 400 in Open311's format, not a 500.
    @Test(arguments: ["requests.json?service_code=a%00b", "requests.xml?jurisdiction_id=%00", "requests/ab%00cd.json"])
    func textPostgreSQLCannotHoldIsAnOpen311Error(path: String) async throws {
        try await withApp { client, testDB in
            _ = try await Open311Tests.seeded(testDB)
            let (status, body, _) = try await Open311Tests.get(client, path)
            #expect(status == 400 || status == 404, "\(path): \(body)")
            #expect(body.contains("description"), "\(path): \(body)")
        }
    }

    @Test func postingToAReadOnlyOpen311ResourceIs405AndOtherMethodsToo() async throws {
        try await withApp { client, testDB in
            _ = try await Open311Tests.seeded(testDB)
            let (status, body) = try await Open311Tests.post(client, "discovery.json", [])
            #expect(status == 405, "\(body)")
            Open311Tests.expectError(body, format: "json", code: 405, containing: "GET")
            try await client.execute(uri: "/open311/v2/services.xml", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/open311/v2/requests.json", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST")
            }
        }
    }

    /// With a list of ids the other filters do not apply, but a malformed one is still refused.
    @Test func requestFiltersAreCheckedEvenBesideIds() async throws {
        try await withApp { client, testDB in
            _ = try await Open311Tests.seeded(testDB)
            let id = UUID().uuidString.lowercased()
            let (status, body, _) = try await Open311Tests.get(client, "requests.json?service_request_id=\(id)&start_date=z")
            #expect(status == 400)
            Open311Tests.expectError(body, format: "json", code: 400, containing: "start_date")
            let (ok, _, _) = try await Open311Tests.get(client, "requests.json?service_request_id=\(id)&start_date=2026-11-28T09:30:00Z")
            #expect(ok == 200)
            // Dates as the contract states them: Foundation's looser forms are refused.
            let (loose, _, _) = try await Open311Tests.get(client, "requests.json?start_date=2026-02-30T00:00:00Z")
            #expect(loose == 400)
        }
    }

    /// Open311 errors name Open311's fields, not the REST API's pointers.
    @Test(arguments: [("lat", "95", "lat: "), ("long", "200", "long: ")])
    func open311ErrorsNameOpen311Fields(field: String, value: String, prefix: String) async throws {
        try await withApp { client, testDB in
            let key = try await Open311Tests.seeded(testDB)
            let form = Open311Tests.fixMyStreetForm(key).map { $0.0 == field ? ($0.0, value) : $0 }
            let (status, body) = try await Open311Tests.post(client, "requests.json", form)
            #expect(status == 400)
            Open311Tests.expectError(body, format: "json", code: 400, containing: prefix)
        }
    }

    /// The receive body is optional: a POST with no body and no Content-Type takes the defaults.
    @Test func aReceiveWithoutABodyTakesTheDefaults() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 2)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            try await client.execute(uri: "/v1/backoffice/queues/cases/receive", method: .post, headers: key) { response in
                #expect(response.status == .ok, "\(response.text)")
                #expect((response.json["messages"] as? [[String: Any]])?.count == 1)
            }
            // A body-required operation sent without one says the body is empty.
            try await client.execute(uri: "/v1/backoffice/cases/\(UUID().uuidString)/acknowledge", method: .post, headers: key) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["code"] as? String == "malformed_json")
            }
        }
    }

    /// A destination saved under older URL rules can still be re-enabled or retuned: a change
    /// that sends no URL does not re-check the stored one.
    @Test func aChangeWithoutAURLLeavesTheStoredOneAlone() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let (created, _) = try await PullQueueTests.post(
                client,
                DestinationAdminTests.base,
                key,
                #"{"name": "legacy", "kind": "webhook", "url": "https://crm.example/hooks"}"#
            )
            #expect(created == .created)
            try await testDB.execute("UPDATE destinations SET url = 'https://user@crm.example/hooks#old' WHERE name = 'legacy'")
            try await client.execute(
                uri: DestinationAdminTests.base + "/legacy",
                method: .patch,
                headers: key.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"timeout_seconds": 30}"#)
            ) { response in
                #expect(response.status == .ok, "\(response.text)")
            }
            // Sending it again is checked as any new URL is.
            try await client.execute(
                uri: DestinationAdminTests.base + "/legacy",
                method: .patch,
                headers: key.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"url": "https://user@crm.example/hooks#old"}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
            }
        }
    }

    /// A multipart upload whose body ends before its parts do answered 500.
    @Test func aMalformedMultipartUploadIs400() async throws {
        try await withApp { client, testDB in
            let key = try await bearer(testDB, role: .client)
            let boundary = "c637e12e2b1a998d80d1b087531af51c"
            try await client.execute(
                uri: "/v1/media",
                method: .post,
                headers: key.merging([.contentType: "multipart/form-data; boundary=\(boundary)"]),
                body: ByteBuffer(string: "--\(boundary)--\r\n")
            ) { response in
                #expect(response.status.code < 500, "\(response.text)")
                #expect([400, 422].contains(Int(response.status.code)))
            }
        }
    }

    /// A payment without its Idempotency-Key keeps the code apps are written against, although
    /// the generated server now refuses it before the handler.
    @Test func aPaymentWithoutAnIdempotencyKeyKeepsItsCode() async throws {
        try await withApp { client, testDB in
            let key = try await bearer(testDB, role: .client)
            let body =
                #"{"council": "barchester", "purpose": "council_tax", "account_reference": "40000001", "amount": 100, "return_url": "https://app.example/done"}"#
            try await client.execute(
                uri: "/v1/payment-intents",
                method: .post,
                headers: key.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["code"] as? String == "idempotency_key_required")
            }
        }
    }
}
