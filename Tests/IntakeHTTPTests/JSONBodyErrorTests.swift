import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Request bodies that cannot be used: each is a 4xx problem naming what is wrong, and nothing
/// is written.
@Suite struct JSONBodyErrorTests {
    let valid = #"{"slug": "north-barsetshire", "name": "North Barsetshire District Council", "tier": "district"}"#

    @Test func malformedJSONIs400WithTheParsePosition() async throws {
        try await withApp { client, testDB in
            let headers = try await bearer(testDB, role: .admin).merging(json)
            try await client.execute(
                uri: "/v1/councils",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: "{\"slug\": \"x\",\n \"name\": oops}")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = response.json
                #expect(body["code"] as? String == "malformed_json")
                let detail = body["detail"] as? String ?? ""
                #expect(detail == "Invalid JSON at line 2, column 10: Invalid value.", "detail: \(detail)")
            }
            try await expectNoCouncils(client)
        }
    }

    @Test func aWrongContentTypeIs415() async throws {
        try await withApp { client, testDB in
            var headers = try await bearer(testDB, role: .admin)
            headers[.contentType] = "text/plain"
            try await client.execute(uri: "/v1/councils", method: .post, headers: headers, body: ByteBuffer(string: valid)) {
                response in
                #expect(response.status == .unsupportedMediaType)
                #expect(response.json["code"] as? String == "unsupported_media_type")
            }
            try await expectNoCouncils(client)
        }
    }

    @Test(arguments: [
        (#"{"name": "X", "tier": "district"}"#, "/slug", "is required"),
        (#"{"slug": "ok-slug", "name": 12, "tier": "district"}"#, "/name", "must be a string"),
        (#"{"slug": "ok-slug", "name": "X", "tier": "galaxy"}"#, "/tier", "has an invalid value"),
        (#"{"slug": "Bad Slug", "name": "X", "tier": "district"}"#, "/slug", "must be 2–64 lower-case"),
        (#"{"slug": "ok-slug", "name": "  ", "tier": "district"}"#, "/name", "must be 1–200 characters"),
        (#"{"slug": "ok-slug", "name": "X", "tier": "district", "contact": {"email": "nope"}}"#, "/contact/email", "is not an email"),
    ])
    func invalidFieldsAre422WithAPointer(body: String, pointer: String, detail: String) async throws {
        try await withApp { client, testDB in
            let headers = try await bearer(testDB, role: .admin).merging(json)
            try await client.execute(uri: "/v1/councils", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .unprocessableContent)
                let problem = response.json
                #expect(problem["code"] as? String == "validation_failed")
                let errors = problem["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["pointer"] as? String == pointer, "\(problem)")
                #expect((errors.first?["detail"] as? String)?.hasPrefix(detail) == true, "\(problem)")
            }
            try await expectNoCouncils(client)
        }
    }

    @Test func sqlAndHTMLLookingTextIsStoredVerbatim() async throws {
        try await withApp { client, testDB in
            let headers = try await bearer(testDB, role: .admin).merging(json)
            let name = #"Robert'); DROP TABLE councils;-- <script>alert(1)</script>"#
            let body = #"{"slug": "odd-name", "name": "Robert'); DROP TABLE councils;-- <script>alert(1)</script>", "tier": "parish"}"#
            try await client.execute(uri: "/v1/councils", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/v1/councils/odd-name", method: .get) { response in
                #expect(response.json["name"] as? String == name)
            }
        }
    }

    private var json: HTTPFields { [.contentType: "application/json"] }

    private func expectNoCouncils(_ client: any TestClientProtocol) async throws {
        try await client.execute(uri: "/v1/councils", method: .get) { response in
            #expect((response.json["councils"] as? [Any])?.isEmpty == true, "a refused request wrote nothing")
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var copy = self
        for field in other { copy[field.name] = field.value }
        return copy
    }
}
