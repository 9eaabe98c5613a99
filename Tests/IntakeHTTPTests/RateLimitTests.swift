import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

@testable import IntakeHTTP

/// Quotas: writes per client key, public reads and tracking-token updates per client address.
@Suite struct RateLimitTests {
    static let json: HTTPFields = [.contentType: "application/json"]

    static func expectLimited(_ response: TestResponse, policy: String) {
        #expect(response.status == .tooManyRequests)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
        #expect(response.headers[HTTPField.Name("RateLimit-Policy")!] == policy)
        #expect(response.headers[HTTPField.Name("RateLimit")!]?.contains(";r=0;t=") == true)
        #expect(response.json["code"] as? String == "rate_limited")
    }

    @Test func aClientKeyIsLimitedOnWritesAndOthersAreNot() async throws {
        try await withApp(configure: { $0.rateLimitWritesPerMinute = 2 }) { client, testDB in
            let key = try await bearer(testDB, role: .client)
            let other = try await bearer(testDB, role: .client)
            // Refused for its body, a write still counts (and says what is left).
            for remaining in [1, 0] {
                try await client.execute(uri: "/v1/reports", method: .post, headers: key.merging(Self.json), body: ByteBuffer(string: "{}")) {
                    #expect($0.status == .unprocessableContent)
                    _ = remaining
                }
            }
            // A write that succeeds carries the headers; here the third is already over the quota.
            try await client.execute(uri: "/v1/reports", method: .post, headers: key.merging(Self.json), body: ByteBuffer(string: "{}")) {
                Self.expectLimited($0, policy: #""writes";q=2;w=60"#)
            }
            // Another key, and reads with the limited key, go on.
            try await client.execute(uri: "/v1/reports", method: .post, headers: other.merging(Self.json), body: ByteBuffer(string: "{}")) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/v1/councils", method: .get, headers: key) { #expect($0.status == .ok) }
        }
    }

    @Test func successfulAnswersSayWhatIsLeft() async throws {
        try await withApp(configure: { $0.rateLimitReadsPerMinute = 5 }) { client, _ in
            try await client.execute(uri: "/v1/councils", method: .get) {
                #expect($0.status == .ok)
                #expect($0.headers[HTTPField.Name("RateLimit-Policy")!] == #""reads";q=5;w=60"#)
                #expect($0.headers[HTTPField.Name("RateLimit")!] == #""reads";r=4;t=12"#)
            }
        }
    }

    @Test func publicReadsAndTrackingUpdatesAreLimitedPerAddress() async throws {
        try await withApp(configure: {
            $0.rateLimitReadsPerMinute = 2
            $0.rateLimitTrackingPerMinute = 1
        }) { client, _ in
            for _ in 0..<2 { try await client.execute(uri: "/v1/councils", method: .get) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/v1/councils", method: .get) { Self.expectLimited($0, policy: #""reads";q=2;w=60"#) }
            // Inventing a key does not open another quota.
            try await client.execute(uri: "/v1/councils", method: .get, headers: [.authorization: "Bearer made-up"]) {
                Self.expectLimited($0, policy: #""reads";q=2;w=60"#)
            }
            // Liveness probes are never limited.
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }

            let update = "/v1/reports/\(UUID().uuidString.lowercased())/updates"
            let headers = Self.json.merging([HTTPField.Name("X-Tracking-Token")!: "tt_guess"])
            try await client.execute(uri: update, method: .post, headers: headers, body: ByteBuffer(string: #"{"comment": "x"}"#)) {
                #expect($0.status != .tooManyRequests)
            }
            try await client.execute(uri: update, method: .post, headers: headers, body: ByteBuffer(string: #"{"comment": "x"}"#)) {
                Self.expectLimited($0, policy: #""tracking";q=1;w=60"#)
            }
        }
    }

    @Test func staffKeysAreNotCountedOnPublicReadsButClientKeysAre() async throws {
        try await withApp(configure: { $0.rateLimitReadsPerMinute = 1 }) { client, testDB in
            let staff = try await bearer(testDB, role: .admin)
            let app = try await bearer(testDB, role: .client)
            for _ in 0..<3 { try await client.execute(uri: "/v1/councils", method: .get, headers: staff) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/v1/councils", method: .get, headers: app) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/councils", method: .get, headers: app) { #expect($0.status == .tooManyRequests) }
        }
    }

    @Test func ipv6CallersAreCountedByTheirSlash64() {
        #expect(RateLimits.bucket("2001:db8:1:2::1") == RateLimits.bucket("2001:db8:1:2:ffff::9"))
        #expect(RateLimits.bucket("2001:db8:1:2::1") != RateLimits.bucket("2001:db8:1:3::1"))
        #expect(RateLimits.bucket("::ffff:203.0.113.5") == "203.0.113.5")
        #expect(RateLimits.bucket("203.0.113.5") == "203.0.113.5")
    }

    @Test func behindATrustedProxyTheForwardedAddressCounts() async throws {
        try await withApp(configure: {
            $0.rateLimitReadsPerMinute = 1
            $0.trustedProxyHops = 1
        }) { client, _ in
            func get(_ forwarded: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/v1/councils", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: forwarded]) {
                    $0.status
                }
            }
            let s1 = try await get("203.0.113.5")
            #expect(s1 == .ok)
            let s2 = try await get("203.0.113.5")
            #expect(s2 == .tooManyRequests)
            let s3 = try await get("203.0.113.6")
            #expect(s3 == .ok)
            // What the client writes in front of the proxy's entry changes nothing.
            let s4 = try await get("198.51.100.1, 203.0.113.5")
            #expect(s4 == .tooManyRequests)
        }
        try await withApp(configure: { $0.rateLimitReadsPerMinute = 1 }) { client, _ in
            // Without a trusted proxy the header is the client's to invent, and is ignored.
            let first = try await client.execute(uri: "/v1/councils", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "192.0.2.1"]) {
                $0.status
            }
            let second = try await client.execute(uri: "/v1/councils", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "192.0.2.2"]) {
                $0.status
            }
            #expect(first == .ok)
            #expect(second == .tooManyRequests)
        }
    }

    @Test func theOpen311FacadeAnswersInItsOwnFormat() async throws {
        try await withApp(configure: {
            $0.rateLimitReadsPerMinute = 1
            $0.rateLimitWritesPerMinute = 1
        }) { client, testDB in
            let key = try await Open311Tests.seeded(testDB)
            #expect(try await Open311Tests.get(client, "services.json?jurisdiction_id=barchester").0 == 200)
            try await client.execute(uri: "/open311/v2/services.json?jurisdiction_id=barchester", method: .get) {
                #expect($0.status == .tooManyRequests)
                #expect($0.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect($0.headers[.retryAfter] != nil)
                let errors = Open311Tests.json($0.text) as? [[String: Any]]
                #expect(errors?.first?["code"] as? Int == 429)
            }
            let (first, _) = try await Open311Tests.post(client, "requests.json", Open311Tests.fixMyStreetForm(key, fixMyStreetID: "1"))
            #expect(first == 201 || first == 200)
            let (status, body) = try await Open311Tests.post(client, "requests.xml", Open311Tests.fixMyStreetForm(key, fixMyStreetID: "2"))
            #expect(status == 429)
            #expect(body.contains("<errors>") && body.contains("<code>429</code>"))
        }
    }
}
