import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntakeCore
import IntakeHTTP
import IntakeStorage
import IntakeTestSupport
import Logging
import Metrics
import NIOCore
import Prometheus
import Testing

/// Metrics are process-wide and may be bootstrapped once: every test shares this registry.
let sharedMetrics: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

/// Runs `test` against the full HTTP application on a fresh database.
func withApp(
    migrated: Bool = true,
    logs: LogCapture? = nil,
    asServiceRole: Bool = false,
    live: Bool = false,
    configure: @Sendable (inout IntakeConfig) -> Void = { _ in },
    _ test: @escaping @Sendable (any TestClientProtocol, TestDatabase) async throws -> Void
) async throws {
    try await withTestDatabase(migrated: migrated) { testDB in
        var config = IntakeConfig(database: testDB.settings, databaseAcquireTimeout: .seconds(10))
        config.secrets = TestSecrets.keyring
        configure(&config)
        let finalConfig = config
        @Sendable func run(username: String?) async throws {
            try await testDB.withDatabase(acquireTimeout: finalConfig.databaseAcquireTimeout, secrets: finalConfig.secrets, username: username) {
                database in
                let deps = HTTPDependencies(
                    config: finalConfig,
                    database: database,
                    migrations: try MigrationSet.bundled(),
                    metrics: sharedMetrics,
                    logger: logs?.logger() ?? .quiet
                )
                let app = try buildApplication(deps)
                // A real server on loopback when a browser must reach it.
                try await app.test(live ? .live : .router) { client in try await test(client, testDB) }
            }
        }
        if asServiceRole {
            try await testDB.withServiceRole { role in try await run(username: role) }
        } else {
            try await run(username: nil)
        }
    }
}

extension TestResponse {
    /// The body parsed as a JSON object; a body that is not one fails the test.
    var json: [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)),
            let dictionary = object as? [String: Any]
        else {
            Issue.record("expected a JSON object, got: \(String(buffer: body))")
            return [:]
        }
        return dictionary
    }

    var text: String { String(buffer: body) }
}

extension ByteBuffer {
    init(json: String) { self.init(string: json) }
}

/// Creates an API key directly in the test database and returns the header that presents it.
func bearer(
    _ testDB: TestDatabase,
    role: Role,
    council: String? = nil,
    expiresAt: Date? = nil
) async throws -> HTTPFields {
    let created = try await testDB.withDatabase(poolSize: 1) { database in
        try await APIKeyStore(database: database, logger: .quiet)
            .create(role: role, councilSlug: council, label: "test", expiresAt: expiresAt)
    }
    return [.authorization: "Bearer \(created.token.text)"]
}
