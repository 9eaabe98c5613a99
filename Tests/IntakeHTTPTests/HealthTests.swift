import HTTPTypes
import HummingbirdTesting
import IntakeTestSupport
import Testing

@Suite struct HealthTests {
    @Test func livenessAnswersWithoutTheDatabase() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["status"] as? String == "ok")
            }
        }
    }

    @Test func readinessReportsMigrations() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let body = response.json
                #expect(body["status"] as? String == "ready")
                let migrations = body["migrations"] as? [String: Any]
                #expect((migrations?["applied"] as? Int).map { $0 > 0 } == true)
                #expect(migrations?["applied"] as? Int == migrations?["known"] as? Int)
            }
        }
    }

    @Test func readinessIs503BeforeMigrations() async throws {
        try await withApp(migrated: false) { client, _ in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.json["code"] as? String == "migrations_pending")
                #expect(response.headers[.retryAfter] != nil)
            }
        }
    }

    @Test func readinessTurns503WhenTheDatabaseStopsAndRecovers() async throws {
        try await withApp(configure: { $0.databaseAcquireTimeout = .seconds(1) }) { client, testDB in
            // Under a busy test run the first connection can take longer than the 1 s bound.
            var ready = false
            for _ in 0..<40 where !ready {
                ready = try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
                if !ready { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(ready)

            try await testDB.executeOnServer("ALTER DATABASE \(testDB.name) ALLOW_CONNECTIONS false")
            try await testDB.executeOnServer(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(testDB.name)'"
            )
            let started = ContinuousClock.now
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = response.json
                #expect(body["code"] as? String == "database_unavailable")
                #expect(body["status"] as? Int == 503)
                #expect(response.headers[.retryAfter] == "5")
            }
            #expect(ContinuousClock.now - started < .seconds(8), "readiness must not hang on a dead database")

            try await testDB.executeOnServer("ALTER DATABASE \(testDB.name) ALLOW_CONNECTIONS true")
            var recovered = false
            for _ in 0..<40 where !recovered {
                recovered = try await client.execute(uri: "/health/ready", method: .get) { $0.status == .ok }
                if !recovered { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(recovered, "readiness came back once the database accepted connections again")
        }
    }

    @Test func servesTheOpenAPIDocument() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                #expect(response.text.hasPrefix("openapi: 3.1.0"))
                #expect(response.text.contains("/health/ready:"))
            }
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await withApp { client, testDB in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/no/such/thing", method: .get) { #expect($0.status == .notFound) }
            let admin = try await bearer(testDB, role: .admin)
            try await client.execute(uri: "/metrics", method: .get, headers: admin) { response in
                #expect(response.status == .ok)
                let text = response.text
                #expect(text.contains(#"http_requests_total{route="/health/live",method="GET",status="200"}"#))
                #expect(text.contains(#"status="404""#))
                #expect(text.contains("http_request_duration_seconds_bucket"))
                #expect(text.contains("intake_db_pool_max_connections"))
                #expect(text.contains("intake_db_pool_connections_in_use"))
            }
        }
    }
}
