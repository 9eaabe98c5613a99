import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for API keys. Secrets never reach the database: only their SHA-256 hash.
public struct APIKeyStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Created: Sendable {
        public var id: UUID
        public var token: APIKeyToken
        public var role: Role
        public var councilSlug: String?
        public var label: String
        public var createdAt: Date
        public var expiresAt: Date?
    }

    /// The council named for a back-office key does not exist. (Which roles take a council is
    /// `AccessService`'s rule.)
    public enum CreateError: Error, Equatable {
        case unknownCouncil(String)
    }

    public func create(role: Role, councilSlug: String?, label: String, expiresAt: Date?) async throws -> Created {
        let token = APIKeyToken.generate()
        let hash = Data(token.secretHash)
        let logger = self.logger
        let id: UUID? = try await database.withConnection { connection in
            var councilID: UUID?
            if let councilSlug {
                let rows = try await connection.query("SELECT id FROM councils WHERE slug = \(councilSlug)", logger: logger)
                for try await id in rows.decode(UUID.self) { councilID = id }
                if councilID == nil { return nil }
            }
            let rows = try await connection.query(
                """
                INSERT INTO api_keys (prefix, secret_hash, role, council_id, label, expires_at)
                VALUES (\(token.prefix), \(hash), \(role.rawValue), \(councilID), \(label), \(expiresAt))
                RETURNING id
                """,
                logger: logger
            )
            for try await id in rows.decode(UUID.self) { return id }
            return nil
        }
        guard let id else { throw CreateError.unknownCouncil(councilSlug ?? "") }
        return Created(
            id: id,
            token: token,
            role: role,
            councilSlug: councilSlug,
            label: label,
            createdAt: Date(),
            expiresAt: expiresAt
        )
    }

    /// The principal for a presented key, or nil when it is unknown, revoked or expired.
    /// A live (unrevoked) key as stored: what authentication needs to check a presented token.
    public struct StoredKey: Sendable, Equatable {
        public var id: UUID
        public var secretHash: [UInt8]
        public var role: Role
        public var councilID: UUID?
        public var expiresAt: Date?
    }

    /// The unrevoked key with this prefix, expired or not (the caller checks both the secret and
    /// the expiry, so that what it caches stays right as time passes).
    public func live(prefix: String) async throws -> StoredKey? {
        let logger = self.logger
        return try await database.withConnection { connection in
            for try await row in try await connection.execute(LiveKeyStatement(prefix: prefix), logger: logger) {
                guard let role = Role(rawValue: row.role) else { return nil }
                return StoredKey(
                    id: row.id,
                    secretHash: Array(row.secretHash),
                    role: role,
                    councilID: row.councilID,
                    expiresAt: row.expiresAt
                )
            }
            return nil
        }
    }

    struct LiveKeyStatement: PostgresPreparedStatement {
        static let sql = "SELECT id, secret_hash, role, council_id, expires_at FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL"
        typealias Row = LiveKeyRow
        var prefix: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(prefix)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    struct LiveKeyRow: RowDecodable {
        var id: UUID
        var secretHash: Data
        var role: String
        var councilID: UUID?
        var expiresAt: Date?

        init(columns: RowColumns) throws {
            id = try columns("id")
            secretHash = try columns("secret_hash")
            role = try columns("role")
            councilID = try columns("council_id")
            expiresAt = try columns("expires_at")
        }
    }

    public struct Listed: Sendable {
        public var prefix: String
        public var role: Role
        public var councilSlug: String?
        public var label: String
        public var createdAt: Date
        public var expiresAt: Date?
        public var revokedAt: Date?
        public var lastUsedAt: Date?
    }

    public func list() async throws -> [Listed] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT k.prefix, k.role, c.slug AS council_slug, k.label, k.created_at, k.expires_at, k.revoked_at, k.last_used_at
                FROM api_keys k LEFT JOIN councils c ON c.id = k.council_id
                ORDER BY k.created_at, k.prefix
                """,
                logger: logger
            )
            var keys: [Listed] = []
            for row in try await rows.collect(ListedRow.self) {
                keys.append(
                    Listed(
                        prefix: "ci_\(row.prefix)",
                        role: Role(rawValue: row.role) ?? .client,
                        councilSlug: row.councilSlug,
                        label: row.label,
                        createdAt: row.createdAt,
                        expiresAt: row.expiresAt,
                        revokedAt: row.revokedAt,
                        lastUsedAt: row.lastUsedAt
                    )
                )
            }
            return keys
        }
    }

    struct ListedRow: RowDecodable {
        var prefix: String
        var role: String
        var councilSlug: String?
        var label: String
        var createdAt: Date
        var expiresAt: Date?
        var revokedAt: Date?
        var lastUsedAt: Date?

        init(columns: RowColumns) throws {
            prefix = try columns("prefix")
            role = try columns("role")
            councilSlug = try columns("council_slug")
            label = try columns("label")
            createdAt = try columns("created_at")
            expiresAt = try columns("expires_at")
            revokedAt = try columns("revoked_at")
            lastUsedAt = try columns("last_used_at")
        }
    }

    /// Revokes a key by its prefix (`ci_…` or the bare prefix); true when a live key was revoked.
    public func revoke(prefix: String) async throws -> Bool {
        let given = APIKeyToken(parsing: prefix)?.prefix ?? prefix
        let bare = given.hasPrefix("ci_") ? String(given.dropFirst(3)) : given
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "UPDATE api_keys SET revoked_at = now() WHERE prefix = \(bare) AND revoked_at IS NULL RETURNING id",
                logger: logger
            )
            for try await _ in rows.decode(UUID.self) { return true }
            return false
        }
    }

    /// Stamps when keys were last used (`KeyUsage` batches these).
    public func markUsed(_ uses: [UUID: Date]) async throws {
        guard !uses.isEmpty else { return }
        let logger = self.logger
        let ids = Array(uses.keys)
        let times = ids.map { uses[$0]! }
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                UPDATE api_keys k SET last_used_at = u.at
                FROM unnest(\(ids)::uuid[], \(times)::timestamptz[]) AS u(id, at)
                WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)
                """,
                logger: logger
            )
        }
    }
}
