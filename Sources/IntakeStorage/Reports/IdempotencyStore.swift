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

    public struct Scope: Sendable {
        public var clientKeyID: UUID
        public var operation: String
        public var key: String
        public var requestHash: [UInt8]

        public init(clientKeyID: UUID, operation: String, key: String, requestHash: [UInt8]) {
            self.clientKeyID = clientKeyID
            self.operation = operation
            self.key = key
            self.requestHash = requestHash
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

        public init(scope: Scope, status: Int, body: @escaping @Sendable (Report) throws -> Data) {
            self.scope = scope
            self.status = status
            self.body = body
        }

        func write(_ report: Report, on connection: PostgresConnection, logger: Logger) async throws {
            try await IdempotencyStore.record(scope, status: status, body: try body(report), on: connection, logger: logger)
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
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.key)
                  AND created_at < now() - make_interval(secs => \(retentionSeconds))
                """, logger: logger)
            let inserted = try await connection.query(
                """
                INSERT INTO idempotency_keys (client_key_id, operation, key, request_hash, locked_until)
                VALUES (\(scope.clientKeyID), \(scope.operation), \(scope.key), \(Data(scope.requestHash)),
                        now() + make_interval(secs => \(leaseSeconds)))
                ON CONFLICT DO NOTHING
                RETURNING true
                """, logger: logger)
            for try await _ in inserted.decode(Bool.self) { return .proceed }

            let rows = try await connection.query(
                """
                SELECT request_hash, response_status, response_body, locked_until < now()
                FROM idempotency_keys
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.key)
                FOR UPDATE
                """, logger: logger)
            for try await (hash, status, body, lapsed) in rows.decode((Data, Int?, Data?, Bool).self) {
                guard Array(hash) == scope.requestHash else { throw Conflict.keyReused }
                if let status, let body { return .replay(status: status, body: body) }
                guard lapsed else { throw Conflict.inProgress }
                // The first attempt died without an answer: this one takes over.
                _ = try await connection.query(
                    """
                    UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => \(leaseSeconds))
                    WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.key)
                    """, logger: logger)
                return .proceed
            }
            return .proceed
        }
    }

    /// Stores the response, inside the transaction that did the work.
    public static func record(
        _ scope: Scope, status: Int, body: Data, on connection: PostgresConnection, logger: Logger
    ) async throws {
        _ = try await connection.query(
            """
            UPDATE idempotency_keys SET response_status = \(status), response_body = \(body)
            WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.key)
            """, logger: logger)
    }

    /// Gives up a claim whose request failed, so the key can be used again.
    public func release(_ scope: Scope) async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                DELETE FROM idempotency_keys
                WHERE client_key_id = \(scope.clientKeyID) AND operation = \(scope.operation) AND key = \(scope.key)
                  AND response_status IS NULL
                """, logger: logger)
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
                """, logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
