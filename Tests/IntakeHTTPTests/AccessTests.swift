import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Every role × council combination on the admin and back-office endpoints. A back-office key
/// asking about another council gets the 404 a missing council would get.
@Suite struct AccessTests {
    enum Caller: String, CaseIterable { case none, client, ownBackoffice, otherBackoffice, admin }

    struct Endpoint: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        /// The status for each caller, in `Caller.allCases` order.
        var expected: [HTTPResponse.Status]
        var description: String { "\(method) \(path)" }
    }

    static let endpoints: [Endpoint] = [
        Endpoint(
            method: .post,
            path: "/v1/councils",
            body: #"{"slug": "new-one", "name": "New", "tier": "parish"}"#,
            expected: [.unauthorized, .forbidden, .forbidden, .forbidden, .created]
        ),
        Endpoint(
            method: .patch,
            path: "/v1/councils/alpha",
            body: #"{"contact": {"phone": "01234 567890"}}"#,
            expected: [.unauthorized, .forbidden, .ok, .notFound, .ok]
        ),
        Endpoint(
            method: .patch,
            path: "/v1/councils/alpha",
            body: #"{"tier": "county"}"#,
            expected: [.unauthorized, .forbidden, .forbidden, .notFound, .ok]
        ),
        Endpoint(
            method: .put,
            path: "/v1/councils/alpha/boundary",
            body: #"{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#,
            expected: [.unauthorized, .forbidden, .forbidden, .forbidden, .ok]
        ),
        Endpoint(
            method: .post,
            path: "/v1/councils/alpha/categories",
            body: #"{"code": "graffiti", "name": "Graffiti"}"#,
            expected: [.unauthorized, .forbidden, .created, .notFound, .created]
        ),
        Endpoint(
            method: .patch,
            path: "/v1/councils/alpha/categories/pothole",
            body: #"{"name": "Potholes"}"#,
            expected: [.unauthorized, .forbidden, .ok, .notFound, .ok]
        ),
        Endpoint(
            method: .delete,
            path: "/v1/councils/alpha/categories/pothole",
            body: nil,
            expected: [.unauthorized, .forbidden, .ok, .notFound, .ok]
        ),
        Endpoint(
            method: .get,
            path: "/v1/api-keys",
            body: nil,
            expected: [.unauthorized, .forbidden, .forbidden, .forbidden, .ok]
        ),
        Endpoint(
            method: .post,
            path: "/v1/api-keys",
            body: #"{"role": "client", "label": "app"}"#,
            expected: [.unauthorized, .forbidden, .forbidden, .forbidden, .created]
        ),
    ]

    @Test(arguments: endpoints)
    func eachCallerGetsWhatItsRoleAllows(endpoint: Endpoint) async throws {
        for (caller, expected) in zip(Caller.allCases, endpoint.expected) {
            // A fresh database per caller, so one caller's write cannot change the next one's answer.
            try await withApp { client, testDB in
                try await Fixtures.council(testDB, "alpha", tier: "district", wkt: nil)
                try await Fixtures.council(testDB, "beta", tier: "district", wkt: nil)
                try await Fixtures.category(testDB, council: "alpha", code: "pothole")
                var headers: HTTPFields = [.contentType: "application/json"]
                switch caller {
                case .none: break
                case .client: headers = headers.merging(try await bearer(testDB, role: .client))
                case .ownBackoffice: headers = headers.merging(try await bearer(testDB, role: .backoffice, council: "alpha"))
                case .otherBackoffice: headers = headers.merging(try await bearer(testDB, role: .backoffice, council: "beta"))
                case .admin: headers = headers.merging(try await bearer(testDB, role: .admin))
                }
                try await client.execute(
                    uri: endpoint.path,
                    method: endpoint.method,
                    headers: headers,
                    body: endpoint.body.map { ByteBuffer(string: $0) }
                ) { response in
                    #expect(response.status == expected, "\(endpoint) as \(caller.rawValue): \(response.text)")
                    if expected == .notFound {
                        // Indistinguishable from a council that does not exist.
                        #expect(response.json["detail"] as? String == "No council has the slug 'alpha'.")
                    }
                }
            }
        }
    }
}

/// Key lifecycle through the API: shown once, listed without secrets, revoked at once.
@Suite struct APIKeyTests {
    @Test func aCreatedKeyWorksUntilItIsRevoked() async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "alpha", tier: "district", wkt: nil)
            let admin = try await bearer(testDB, role: .admin).merging([.contentType: "application/json"])
            let created = try await client.execute(
                uri: "/v1/api-keys",
                method: .post,
                headers: admin,
                body: ByteBuffer(string: #"{"role": "backoffice", "council": "alpha", "label": "Confirm"}"#)
            ) { response in
                #expect(response.status == .created)
                return response.json
            }
            let key = created["key"] as? String ?? ""
            let prefix = created["prefix"] as? String ?? ""
            #expect(key.hasPrefix(prefix + "_"))
            #expect(created["council"] as? String == "alpha")

            let asBackoffice: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
            try await client.execute(
                uri: "/v1/councils/alpha",
                method: .patch,
                headers: asBackoffice,
                body: ByteBuffer(string: #"{"contact": {"email": "it@alpha.example"}}"#)
            ) { #expect($0.status == .ok) }

            try await client.execute(uri: "/v1/api-keys", method: .get, headers: admin) { response in
                #expect(!response.text.contains(String(key.suffix(64))), "secrets are never listed")
                let keys = response.json["keys"] as? [[String: Any]] ?? []
                #expect(keys.contains { $0["prefix"] as? String == prefix && $0["label"] as? String == "Confirm" })
            }
            try await client.execute(uri: "/v1/api-keys/\(prefix)", method: .delete, headers: admin) {
                #expect($0.status == .noContent)
            }
            try await client.execute(
                uri: "/v1/councils/alpha",
                method: .patch,
                headers: asBackoffice,
                body: ByteBuffer(string: #"{"contact": {"email": "it@alpha.example"}}"#)
            ) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/api-keys/\(prefix)", method: .delete, headers: admin) {
                #expect($0.status == .notFound, "already revoked")
            }
        }
    }

    @Test(arguments: [
        (#"{"role": "backoffice"}"#, "/council"),
        (#"{"role": "client", "council": "alpha"}"#, "/council"),
        (#"{"role": "backoffice", "council": "nowhere"}"#, "/council"),
        (#"{"role": "client", "expires_at": "2001-01-01T00:00:00Z"}"#, "/expires_at"),
        (#"{"role": "superuser"}"#, "/role"),
    ])
    func badKeyRequestsAre422(body: String, pointer: String) async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "alpha", tier: "district", wkt: nil)
            let admin = try await bearer(testDB, role: .admin).merging([.contentType: "application/json"])
            try await client.execute(uri: "/v1/api-keys", method: .post, headers: admin, body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .unprocessableContent)
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["pointer"] as? String == pointer, "\(response.text)")
            }
        }
    }
}
