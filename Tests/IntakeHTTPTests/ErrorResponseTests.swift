import HTTPTypes
import HummingbirdTesting
import IntakeTestSupport
import NIOCore
import Testing

/// Every error is an RFC 9457 problem with a stable code and the request id.
@Suite struct ErrorResponseTests {
    @Test func unknownRoutesAre404Problems() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/no-such-thing", method: .get, headers: [.xRequestID: "req-404"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = response.json
                #expect(body["code"] as? String == "not_found")
                #expect(body["status"] as? Int == 404)
                #expect(body["type"] as? String == "urn:civic-intake:problem:not_found")
                #expect(body["title"] as? String == "Not found")
                #expect(body["request_id"] as? String == "req-404")
            }
        }
    }

    @Test func aWrongMethodIs405WithAllow() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/health/ready", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                #expect(response.json["code"] as? String == "method_not_allowed")
            }
            try await client.execute(uri: "/openapi.yaml", method: .post, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        try await withApp(configure: { $0.maxJSONBodyBytes = 4096 }) { client, _ in
            let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: 5000)
            try await client.execute(
                uri: "/health/live",
                method: .post,
                headers: [.contentType: "application/json"],
                body: big
            ) { response in
                #expect(response.status == .contentTooLarge)
                let body = response.json
                #expect(body["code"] as? String == "payload_too_large")
                #expect((body["detail"] as? String)?.contains("4096 bytes") == true)
            }
            // Under the limit the same request reaches routing (and is then refused for its method).
            let small = ByteBuffer(repeating: UInt8(ascii: "a"), count: 100)
            try await client.execute(uri: "/health/live", method: .post, body: small) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test func unexpectedErrorsAre500WithoutInternalsAndAreLoggedWithTheRequestID() async throws {
        let logs = LogCapture()
        try await withApp(logs: logs) { client, testDB in
            // Break the schema under the running service: the query now fails in a way no
            // handler expects.
            try await testDB.execute("ALTER TABLE schema_migrations RENAME COLUMN checksum TO broken")
            try await client.execute(uri: "/health/ready", method: .get, headers: [.xRequestID: "req-500"]) { response in
                #expect(response.status == .internalServerError)
                let body = response.json
                #expect(body["code"] as? String == "internal_error")
                #expect(body["request_id"] as? String == "req-500")
                #expect(!response.text.contains("checksum"))
                #expect(!response.text.contains("SQLSTATE"))
            }
        }
        let errors = logs.entries.filter { $0.level == .error && $0.message == "unexpected error" }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["request_id"] == "req-500")
        #expect(errors.first?.metadata["error"]?.contains("checksum") == true, "the log keeps what the body hides")
    }

    @Test func requestIDsAreEchoedOrGenerated() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/health/live", method: .get, headers: [.xRequestID: "abc-123"]) { response in
                #expect(response.headers[.xRequestID] == "abc-123")
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.headers[.xRequestID]?.count == 36)
            }
            // An id that could forge log lines or headers is replaced, not echoed.
            try await client.execute(
                uri: "/health/live",
                method: .get,
                headers: [.xRequestID: "bad id\" with quotes"]
            ) { response in
                let id = response.headers[.xRequestID]
                #expect(id != nil && id != "bad id\" with quotes")
            }
        }
    }

    @Test func everyRequestIsLoggedOnceWithItsID() async throws {
        let logs = LogCapture()
        try await withApp(logs: logs) { client, _ in
            try await client.execute(uri: "/health/live", method: .get, headers: [.xRequestID: "one-line"]) { _ in }
        }
        let lines = logs.entries.filter { $0.metadata["request_id"] == "one-line" }
        #expect(lines.count == 1)
        #expect(lines.first?.message == "request")
        #expect(lines.first?.metadata["status"] == "200")
        #expect(lines.first?.metadata["path"] == "/health/live")
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}
