import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// What browsers and the public see around every answer: CORS for configured front ends,
/// security headers, and metrics kept for operators.
@Suite struct BrowserPolicyTests {
    static let origin = HTTPField.Name("Origin")!
    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!

    @Test func aConfiguredOriginGetsItsPreflightAndItsAnswersEvenErrors() async throws {
        try await withApp(configure: { $0.corsAllowedOrigins = ["https://app.example", "https://map.example"] }) { client, _ in
            let preflight: HTTPFields = [
                Self.origin: "https://app.example", HTTPField.Name("Access-Control-Request-Method")!: "POST",
                HTTPField.Name("Access-Control-Request-Headers")!: "authorization, content-type, idempotency-key",
            ]
            try await client.execute(uri: "/v1/reports", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[Self.allowOrigin] == "https://app.example")
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Methods")!]?.contains("POST") == true)
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.lowercased().contains("idempotency-key") == true)
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Credentials")!] == nil)
                #expect(response.headers[.vary] == "Origin")
            }
            // A refusal is readable by the app that caused it.
            try await client.execute(
                uri: "/v1/reports",
                method: .post,
                headers: [Self.origin: "https://map.example", .contentType: "application/json"],
                body: ByteBuffer(string: "{}")
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[Self.allowOrigin] == "https://map.example")
            }
            // Any other site gets no CORS headers at all.
            try await client.execute(uri: "/v1/councils", method: .get, headers: [Self.origin: "https://evil.example"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[Self.allowOrigin] == nil)
            }
        }
    }

    @Test func aWildcardNeverAllowsCredentials() async throws {
        try await withApp(configure: { $0.corsAllowedOrigins = ["*"] }) { client, _ in
            try await client.execute(uri: "/v1/councils", method: .get, headers: [Self.origin: "https://anyone.example"]) { response in
                #expect(response.headers[Self.allowOrigin] == "*")
                #expect(response.headers[HTTPField.Name("Access-Control-Allow-Credentials")!] == nil)
            }
        }
    }

    @Test func withoutConfigurationNoOriginIsAllowed() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/councils", method: .get, headers: [Self.origin: "https://app.example"]) { response in
                #expect(response.headers[Self.allowOrigin] == nil)
            }
        }
    }

    @Test func everyAnswerCarriesSecurityHeadersAndHSTSOverTLS() async throws {
        try await withApp { client, _ in
            for uri in ["/health/live", "/v1/councils", "/no/such/thing"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(uri)")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                    #expect(response.headers[.strictTransportSecurity] == nil, "plain http: no HSTS")
                }
            }
            try await client.execute(uri: "/health/live", method: .get, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"]) {
                #expect($0.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
            }
        }
        try await withApp(configure: { $0.publicBaseURL = "https://reports.example.gov.uk" }) { client, _ in
            try await client.execute(uri: "/health/live", method: .get) {
                #expect($0.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
            }
        }
    }

    @Test func metricsOnTheAPIsPortNeedAnAdminKey() async throws {
        try await withApp { client, testDB in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/metrics", method: .get, headers: try await bearer(testDB, role: .client)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: try await bearer(testDB, role: .admin)) {
                #expect($0.status == .ok)
                #expect($0.text.contains("http_requests_total"))
            }
        }
    }
}
