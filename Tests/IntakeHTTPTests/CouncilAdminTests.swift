import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

@Suite struct CouncilAdminTests {
    let body = ByteBuffer(
        string:
            #"{"slug": "barset", "name": "Barsetshire County Council", "tier": "county", "contact": {"email": "reports@barset.example", "website": "https://barset.example"}}"#
    )

    @Test func anAdminCreatesACouncilThatAnyoneCanRead() async throws {
        try await withApp { client, testDB in
            var headers = try await bearer(testDB, role: .admin)
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/v1/councils", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                let council = response.json
                #expect(council["slug"] as? String == "barset")
                #expect(council["tier"] as? String == "county")
                #expect((council["contact"] as? [String: Any])?["email"] as? String == "reports@barset.example")
            }
            try await client.execute(uri: "/v1/councils/barset", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["name"] as? String == "Barsetshire County Council")
            }
            try await client.execute(uri: "/v1/councils/barset", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
            }
            // The slug is unique.
            try await client.execute(uri: "/v1/councils", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .conflict)
                #expect(response.json["code"] as? String == "council_exists")
            }
            try await client.execute(uri: "/v1/councils/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func keysAreCheckedBeforeAnythingIsWritten() async throws {
        try await withApp { client, testDB in
            let json: HTTPFields = [.contentType: "application/json"]
            let expired = try await bearer(testDB, role: .admin, expiresAt: Date().addingTimeInterval(-60))
            let clientKey = try await bearer(testDB, role: .client)
            let cases: [(HTTPFields, HTTPResponse.Status)] = [
                ([:], .unauthorized),
                ([.authorization: "Bearer ci_0000000000_" + String(repeating: "0", count: 64)], .unauthorized),
                ([.authorization: "Bearer not-a-key"], .unauthorized),
                ([.authorization: "Basic dXNlcjpwYXNz"], .unauthorized),
                (expired, .unauthorized),
                (clientKey, .forbidden),
            ]
            for (auth, status) in cases {
                try await client.execute(
                    uri: "/v1/councils",
                    method: .post,
                    headers: auth.merging(json),
                    body: body
                ) { response in
                    #expect(response.status == status, "\(auth)")
                    if status == .unauthorized { #expect(response.headers[.wwwAuthenticate] == "Bearer") }
                }
            }
            try await client.execute(uri: "/v1/councils", method: .get) { response in
                #expect((response.json["councils"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
