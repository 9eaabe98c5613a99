import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Every column that holds a secret this service must use again, and the start-up check and
/// rotation over all of them. The stores seal what they write (`Database.secrets`); this finds
/// what an older version wrote in plain text, and what a rotation has still to re-seal.
public struct SealedSecretsStore: Sendable {
    struct Column: Sendable {
        var table: String
        var column: String
        var key: String
        var purpose: String
    }

    /// The previous webhook secret is the current one moved aside, so it shares its purpose.
    static let columns: [Column] = [
        Column(table: "destinations", column: "secret", key: "id", purpose: DestinationStore.secretPurpose),
        Column(table: "destinations", column: "previous_secret", key: "id", purpose: DestinationStore.secretPurpose),
        Column(table: "destinations", column: "open311_api_key", key: "id", purpose: DestinationStore.open311KeyPurpose),
        Column(
            table: "council_payment_settings",
            column: "provider_api_key",
            key: "council_id",
            purpose: PaymentSettingsStore.apiKeyPurpose
        ),
        Column(
            table: "council_payment_settings",
            column: "webhook_secret",
            key: "council_id",
            purpose: PaymentSettingsStore.webhookSecretPurpose
        ),
        Column(
            table: "council_notify_settings",
            column: "api_key",
            key: "council_id",
            purpose: NotifySettingsStore.apiKeyPurpose
        ),
        Column(
            table: "council_notify_settings",
            column: "callback_token",
            key: "council_id",
            purpose: NotifySettingsStore.callbackTokenPurpose
        ),
        Column(
            table: "alert_subscriptions",
            column: "webhook_secret",
            key: "id",
            purpose: NotificationStore.webhookSecretPurpose
        ),
    ]

    /// What is stored: values sealed under each key id, and values still in plain text.
    public struct Census: Sendable, Equatable {
        public var sealedByKey: [String: Int] = [:]
        public var plain = 0
        public var total: Int { sealedByKey.values.reduce(plain, +) }
    }

    public enum Refusal: Error, CustomStringConvertible {
        case keyMissing(stored: Int)
        case unknownKeys([String])

        public var description: String {
            switch self {
            case .keyMissing(let stored):
                "\(stored) stored secrets (GOV.UK Pay keys, webhook or Open311 secrets) need SECRETS_KEY, which is not set"
            case .unknownKeys(let ids):
                "stored secrets are sealed under key \(ids.joined(separator: ", ")), which is neither SECRETS_KEY nor in "
                    + "SECRETS_KEY_PREVIOUS; set the key they were sealed with"
            }
        }
    }

    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The secret columns that exist: before the first migration there are none, and a column
    /// a later migration adds is not there until it has run (a new process may start before
    /// it). One query for all of them.
    static func presentColumns(on connection: PostgresConnection, logger: Logger) async throws -> [Column] {
        let tables = columns.map(\.table)
        let names = columns.map(\.column)
        let rows = try await connection.query(
            """
            SELECT t || '.' || c FROM unnest(\(tables)::text[], \(names)::text[]) AS x(t, c)
            WHERE to_regclass(t) IS NOT NULL
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(t) AND a.attname = c AND NOT a.attisdropped)
            """,
            logger: logger
        )
        var present: Set<String> = []
        for try await name in rows.decode(String.self) { present.insert(name) }
        return columns.filter { present.contains($0.table + "." + $0.column) }
    }

    public func census() async throws -> Census {
        let logger = self.logger
        return try await database.withConnection { connection in
            var census = Census()
            for column in try await Self.presentColumns(on: connection, logger: logger) {
                let rows = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT CASE WHEN \(column.column) LIKE 'sealed:v1:%' THEN split_part(\(column.column), ':', 3) END,
                                   count(*)::int
                            FROM \(column.table) WHERE \(column.column) IS NOT NULL GROUP BY 1
                            """
                    ),
                    logger: logger
                )
                for try await (keyID, count) in rows.decode((String?, Int).self) {
                    if let keyID { census.sealedByKey[keyID, default: 0] += count } else { census.plain += count }
                }
            }
            return census
        }
    }

    /// Start-up: refuses when stored secrets cannot be opened with the configured keys, and
    /// seals any still in plain text (written before this service sealed them). Several
    /// processes starting at once are safe: each row is re-read under a lock.
    public func prepare() async throws {
        let census = try await census()
        let keyring = database.secrets
        if keyring.current == nil {
            if census.total > 0 { throw Refusal.keyMissing(stored: census.total) }
            return
        }
        let unknown = census.sealedByKey.keys.filter { !keyring.knows(keyID: $0) }.sorted()
        if !unknown.isEmpty { throw Refusal.unknownKeys(unknown) }
        if census.plain > 0 {
            let sealed = try await reseal(onlyPlain: true)
            logger.notice("sealed stored secrets that were in plain text", metadata: ["count": "\(sealed)"])
        }
    }

    /// Seals every value under the current key (`intake secrets rotate`): plain values and
    /// values sealed under a previous key. Returns how many it rewrote.
    public func reseal(onlyPlain: Bool = false) async throws -> Int {
        let keyring = database.secrets
        guard let current = keyring.current else { throw SecretKeyring.Failure.keyMissing }
        let logger = self.logger
        return try await database.withTransaction { connection in
            var rewritten = 0
            for column in try await Self.presentColumns(on: connection, logger: logger) {
                let rows = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT \(column.key)::text, \(column.column) FROM \(column.table)
                            WHERE \(column.column) IS NOT NULL FOR UPDATE
                            """
                    ),
                    logger: logger
                )
                var updates: [(String, String)] = []
                for try await (key, stored) in rows.decode((String, String).self) {
                    let isSealed = SecretKeyring.isSealed(stored)
                    if isSealed && (onlyPlain || SecretKeyring.keyID(of: stored) == current.id) { continue }
                    let plain = isSealed ? try keyring.open(stored, purpose: column.purpose) : stored
                    updates.append((key, try keyring.seal(plain, purpose: column.purpose)))
                }
                for (key, sealed) in updates {
                    _ = try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "UPDATE \(column.table) SET \(column.column) = $1 WHERE \(column.key)::text = $2",
                            binds: Self.binds(sealed, key)
                        ),
                        logger: logger
                    )
                }
                rewritten += updates.count
            }
            return rewritten
        }
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }
}
