import Crypto
import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Idempotency-Key records (IETF draft-ietf-httpapi-idempotency-key-header), per client key and
/// operation, kept 48 hours.
///
/// The first request claims the key in a short transaction of its own, so a concurrent retry
/// sees it at once and gets 409 rather than waiting. The response is recorded in the same
/// transaction as the work (`record`), so a stored report always has its stored response. A
/// request that fails releases its claim, so a corrected retry may reuse the key; a claim left
/// by a crashed process lapses after `lease`.
public struct IdempotencyStore: Sendable {
    public static let retention: Duration = .seconds(48 * 3600)
    let database: Database
    let logger: Logger
    let lease: Duration

    public init(database: Database, logger: Logger, lease: Duration = .seconds(60)) {
        self.database = database
        self.logger = logger
        self.lease = lease
    }

    /// One key of one client for one operation. The raw key never reaches the database: it is
    /// stored as its SHA-256 (`storedKey`), and it is the secret that seals the stored answer and
    /// fingerprints the request, so only a caller who holds it can replay or recognise either.
    public struct Scope: Sendable {
        public var clientKeyID: UUID
        public var operation: String
        public var key: String
        /// SHA-256 of the request in its canonical form.
        public var requestHash: [UInt8]

        public init(clientKeyID: UUID, operation: String, key: String, requestHash: [UInt8]) {
            self.clientKeyID = clientKeyID
            self.operation = operation
            self.key = key
            self.requestHash = requestHash
        }

        /// What the table holds instead of the key.
        var storedKey: String { Secrets.sha256(key).map { String(format: "%02x", $0) }.joined() }

        /// AES-GCM key for this scope's stored answer: HKDF-SHA256 of the raw key, salted with the
        /// client key and operation.
        var sealingKey: SymmetricKey {
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Data(key.utf8)),
                salt: Data("\(clientKeyID.uuidString.lowercased()) \(operation)".utf8),
                info: Data("civic-intake idempotency answer".utf8),
                outputByteCount: 32
            )
        }

        /// The request's fingerprint as stored: an HMAC under the sealing key.
        var storedRequestHash: Data {
            Data(HMAC<SHA256>.authenticationCode(for: requestHash, using: sealingKey))
        }

        func seal(_ body: Data) throws -> Data {
            guard let sealed = try AES.GCM.seal(body, using: sealingKey).combined else { throw NoRowReturned() }
            return sealed
        }

        func open(_ sealed: Data) throws -> Data {
            try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: sealingKey)
        }
    }

    /// Why a claim was refused.
    public enum Conflict: Error, Sendable, Equatable {
        /// The key was used with a different request.
        case keyReused
        /// The first request with this key is still running.
        case inProgress
    }

    /// What a write records as its answer, inside its own transaction, so a stored result
    /// always has its stored response.
    public struct Recording: Sendable {
        public var scope: Scope
        public var status: Int
        public var body: @Sendable (Report) throws -> Data
        /// The report the answer is about, so erasing its reporter removes the record too.

        public init(scope: Scope, status: Int, body: @escaping @Sendable (Report) throws -> Data) {
            self.scope = scope
            self.status = status
            self.body = body
        }

        func write(_ report: Report, on connection: PostgresConnection, logger: Logger) async throws {
            try await IdempotencyStore.record(
                scope,
                status: status,
                body: try body(report),
                reportID: report.id,
                on: connection,
                logger: logger
            )
        }
    }

    public enum Claim: Sendable, Equatable {
        case proceed
        case replay(status: Int, body: Data)
    }

    public func claim(_ scope: Scope) async throws -> Claim {
        let logger = self.logger
        let leaseSeconds = Double(lease.components.seconds)
        let retentionSeconds = Double(Self.retention.components.seconds)
        return try await database.withTransaction { connection in
            // The claim need not wait for its own disk flush: the work's commit, which is durable,
            // flushes the claim's WAL before it (WAL is written in order). A claim lost in a crash
            // before any work committed only lets the retry start afresh.
            _ = try await connection.query("SET LOCAL synchronous_commit = off", logger: logger)
            // Forget an expired record of this key first: after 48 hours a key may be reused.
            _ = try await connection.query(
                """
                DELETE FROM idempotency_keys
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.storedKey)
                  AND created_at < now() - make_interval(secs => \(retentionSeconds))
                """,
                logger: logger
            )
            let inserted = try await connection.query(
                """
                INSERT INTO idempotency_keys (client_key_id, operation, key, request_hash, locked_until)
                VALUES (\(scope.clientKeyID), \(scope.operation), \(scope.storedKey), \(scope.storedRequestHash),
                        now() + make_interval(secs => \(leaseSeconds)))
                ON CONFLICT DO NOTHING
                RETURNING true
                """,
                logger: logger
            )
            for try await _ in inserted.decode(Bool.self) { return .proceed }

            let rows = try await connection.query(
                """
                SELECT request_hash, response_status, response_body, locked_until < now() AS lapsed, sealed
                FROM idempotency_keys
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.storedKey)
                FOR UPDATE
                """,
                logger: logger
            )
            guard let row = try await rows.first(KeyRow.self) else { return .proceed }
            guard Secrets.constantTimeEquals(Array(row.requestHash), Array(scope.storedRequestHash)) else { throw Conflict.keyReused }
            if let status = row.responseStatus, let body = row.responseBody {
                return .replay(status: status, body: row.sealed ? try scope.open(body) : body)
            }
            guard row.lapsed else { throw Conflict.inProgress }
            // The first attempt died without an answer: this one takes over.
            _ = try await connection.query(
                """
                UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.storedKey)
                """,
                logger: logger
            )
            return .proceed
        }
    }

    /// A stored key, as `claim` reads it.
    struct KeyRow: RowDecodable {
        var requestHash: Data
        var responseStatus: Int?
        var responseBody: Data?
        var lapsed: Bool
        var sealed: Bool

        init(columns: RowColumns) throws {
            requestHash = try columns("request_hash")
            responseStatus = try columns("response_status")
            responseBody = try columns("response_body")
            lapsed = try columns("lapsed")
            sealed = try columns("sealed")
        }
    }

    /// Stores the response, inside the transaction that did the work.
    public static func record(
        _ scope: Scope,
        status: Int,
        body: Data,
        reportID: UUID? = nil,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let sealed = try scope.seal(body)
        _ = try await connection.query(
            """
            UPDATE idempotency_keys SET response_status = \(status), response_body = \(sealed), sealed = true,
                report_id = \(reportID)
            WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.storedKey)
            """,
            logger: logger
        )
    }

    /// Gives up a claim whose request failed, so the key can be used again.
    public func release(_ scope: Scope) async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                DELETE FROM idempotency_keys
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.storedKey)
                  AND response_status IS NULL
                """,
                logger: logger
            )
        }
    }

    /// Deletes records older than the retention period; returns how many.
    public func prune() async throws -> Int {
        let logger = self.logger
        let retentionSeconds = Double(Self.retention.components.seconds)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(retentionSeconds))
                    RETURNING 1
                ) SELECT count(*)::int FROM gone
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
