import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntakeCore
import IntakeHTTP
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Prometheus
import Testing

/// The full HTTP application on a fresh, demo-seeded database (Barchester, Plumstead and
/// Silverbridge take payments through the sandbox, each with a `revenues` pull queue).
func withPaymentsApp(
    _ mode: TestingSetup = .router,
    configure: @Sendable (inout IntakeConfig) -> Void = { _ in },
    _ test: @escaping @Sendable (any TestClientProtocol, TestDatabase, Database) async throws -> Void
) async throws {
    try await withTestDatabase { testDB in
        var config = IntakeConfig(database: testDB.settings, databaseAcquireTimeout: .seconds(10))
        config.publicBaseURL = "https://intake.example"
        configure(&config)
        let finalConfig = config
        try await testDB.withDatabase(poolSize: 10, acquireTimeout: config.databaseAcquireTimeout) { database in
            try await DispatchFixtures.seed(database)
            let deps = HTTPDependencies(
                config: finalConfig,
                database: database,
                migrations: try MigrationSet.bundled(),
                metrics: PrometheusCollectorRegistry(),
                logger: .quiet
            )
            let app = try buildApplication(deps)
            try await app.test(mode) { client in try await test(client, testDB, database) }
        }
    }
}

/// A key made directly in the database: its header and its id.
func apiKey(_ database: Database, role: Role, council: String? = nil) async throws -> (headers: HTTPFields, id: UUID) {
    let created = try await APIKeyStore(database: database, logger: .quiet)
        .create(role: role, councilSlug: council, label: "test", expiresAt: nil)
    return ([.authorization: "Bearer \(created.token.text)"], created.id)
}

/// One JSON call: status and the body as a JSON object (empty when there is none).
func call(
    _ client: any TestClientProtocol,
    _ method: HTTPRequest.Method,
    _ uri: String,
    _ headers: HTTPFields = [:],
    body: String? = nil
) async throws -> (HTTPResponse.Status, [String: Any]) {
    var all = headers
    if body != nil { all[.contentType] = "application/json" }
    return try await client.execute(uri: uri, method: method, headers: all, body: body.map { ByteBuffer(string: $0) }) { response in
        let object =
            response.body.readableBytes == 0
            ? nil : try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return (response.status, object ?? [:])
    }
}

func idempotent(_ headers: HTTPFields, key: String = UUID().uuidString) -> HTTPFields {
    var all = headers
    all[HTTPField.Name("Idempotency-Key")!] = key
    return all
}

/// A valid Barchester payment request body (8 characters, modulus-11 check digit).
func intentBody(
    council: String = "barchester",
    reference: String = "41234561",
    amount: String = "12345",
    returnURL: String = "https://app.example/paid",
    extra: String = ""
) -> String {
    #"{"council": "\#(council)", "purpose": "council_tax", "account_reference": "\#(reference)", "amount": \#(amount), "return_url": "\#(returnURL)"\#(extra)}"#
}

func fieldErrors(_ json: [String: Any]) -> [(pointer: String, code: String?, detail: String)] {
    (json["errors"] as? [[String: Any]] ?? []).map {
        ($0["pointer"] as? String ?? "", $0["code"] as? String, $0["detail"] as? String ?? "")
    }
}

func count(_ database: Database, _ sql: String) async throws -> Int {
    try await DispatchFixtures.scalar(database, sql, as: Int.self) ?? -1
}
