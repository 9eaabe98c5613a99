import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// The pull side of the dispatch queue, shaped like Amazon SQS FIFO: a receive leases up to 10
/// messages for a visibility timeout, each with a new receipt handle; an ack with the current
/// handle finishes one; after `max_attempts` receives a message is dead until redriven. Messages
/// of one case are handed out one at a time, in order.
public struct PullQueue: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Received: Sendable, Equatable {
        public var jobID: Int64
        public var messageID: UUID
        public var receipt: UUID
        public var receiveCount: Int
        public var eventType: String
        public var reportID: UUID?
        public var eventID: Int64?
        public var paymentIntentID: UUID?
        public var sentAt: Date
    }

    /// Leases up to `max` visible messages of the queue for `visibilitySeconds`.
    public func receive(destinationID: UUID, max: Int, visibilitySeconds: Int, holder: String) async throws -> [Received] {
        let logger = self.logger
        let statement = ReceiveStatement(
            destinationID: destinationID,
            max: max,
            visibilitySeconds: Double(Swift.max(visibilitySeconds, 0)),
            holder: holder
        )
        return try await database.withConnection { connection in
            var received: [Received] = []
            for try await row in try await connection.execute(statement, logger: logger) {
                received.append(
                    Received(
                        jobID: row.id,
                        messageID: row.messageID,
                        receipt: row.receipt,
                        receiveCount: row.attempts,
                        eventType: row.eventType,
                        reportID: row.reportID,
                        eventID: row.eventID,
                        paymentIntentID: row.paymentIntentID,
                        sentAt: row.createdAt
                    )
                )
            }
            return received
        }
    }

    /// Prepared once per connection: receives and acks are the hot path of the pull API, and
    /// planning these statements costs more than running them.
    struct ReceiveStatement: PostgresPreparedStatement {
        static let sql = """
            WITH candidates AS (
                SELECT j.id FROM dispatch_jobs j
                WHERE j.destination_id = $1 AND j.state IN ('pending', 'running') AND j.run_at <= now()
                  AND NOT EXISTS (
                      SELECT 1 FROM dispatch_jobs e
                      WHERE e.group_key = j.group_key AND e.id < j.id AND e.state IN ('pending', 'running'))
                ORDER BY j.run_at, j.id
                LIMIT $2
                FOR UPDATE OF j SKIP LOCKED
            ), claimed AS (
                \(PushQueue.leaseUpdate(seconds: "$3", holder: "$4"))
            )
            SELECT id, message_id, receipt, attempts, event_type, report_id, event_id, created_at, payment_intent_id
            FROM claimed WHERE state = 'running'
            ORDER BY id
            """
        typealias Row = ReceivedRow

        var destinationID: UUID
        var max: Int
        var visibilitySeconds: Double
        var holder: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 4)
            bindings.append(destinationID)
            bindings.append(max)
            bindings.append(visibilitySeconds)
            bindings.append(holder)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    struct ReceivedRow: RowDecodable {
        var id: Int64
        var messageID: UUID
        var receipt: UUID
        var attempts: Int
        var eventType: String
        var reportID: UUID?
        var eventID: Int64?
        var createdAt: Date
        var paymentIntentID: UUID?

        init(columns: RowColumns) throws {
            id = try columns("id")
            messageID = try columns("message_id")
            receipt = try columns("receipt")
            attempts = try columns("attempts")
            eventType = try columns("event_type")
            reportID = try columns("report_id")
            eventID = try columns("event_id")
            createdAt = try columns("created_at")
            paymentIntentID = try columns("payment_intent_id")
        }
    }

    public enum AckResult: Sendable, Equatable {
        case acked
        /// Another receive has taken the message since (new handle), or it is dead.
        case staleReceipt
        case notFound
    }

    /// Acknowledges (deletes) messages with their receipt handles. Repeating an ack with the same
    /// handle is harmless. Acking a case's creation puts `dispatched` on its timeline.
    public func ack(destinationID: UUID, _ entries: [(messageID: UUID, receipt: UUID)]) async throws -> [UUID: AckResult] {
        guard !entries.isEmpty else { return [:] }
        let logger = self.logger
        let statement = AckStatement(
            destinationID: destinationID,
            messageIDs: entries.map(\.messageID),
            receipts: entries.map(\.receipt)
        )
        return try await database.withConnection { connection in
            var results: [UUID: AckResult] = [:]
            for try await row in try await connection.execute(statement, logger: logger) {
                guard let state = row.state else {
                    results[row.messageID] = .notFound
                    continue
                }
                results[row.messageID] = row.matches && (state == "running" || state == "done") ? .acked : .staleReceipt
            }
            return results
        }
    }

    struct AckStatement: PostgresPreparedStatement {
        static let sql = """
            WITH input AS (
                SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS t(message_id, receipt)
            ), target AS (
                SELECT j.id, j.message_id, j.state, j.receipt = i.receipt AS matches
                FROM input i JOIN dispatch_jobs j ON j.message_id = i.message_id AND j.destination_id = $1
            ), acked AS (
                UPDATE dispatch_jobs j SET state = 'done', finished_at = now()
                FROM target t
                WHERE j.id = t.id AND t.matches AND j.state = 'running'
                RETURNING j.id, j.report_id, j.event_type
            ), events AS (
                INSERT INTO report_events (report_id, kind, actor)
                SELECT report_id, 'dispatched', 'system' FROM acked WHERE event_type = 'case.created'
            )
            SELECT i.message_id, t.state, COALESCE(t.matches, false) AS matches
            FROM input i LEFT JOIN target t ON t.message_id = i.message_id
            """
        typealias Row = AckRow

        var destinationID: UUID
        var messageIDs: [UUID]
        var receipts: [UUID]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(destinationID)
            bindings.append(messageIDs)
            bindings.append(receipts)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.read(Row.self) }
    }

    struct AckRow: RowDecodable {
        var messageID: UUID
        var state: String?
        var matches: Bool

        init(columns: RowColumns) throws {
            messageID = try columns("message_id")
            state = try columns("state")
            matches = try columns("matches")
        }
    }

    /// Extends or shortens a received message's lease; 0 makes it visible at once. Only while
    /// the lease is held with the current handle.
    public func changeVisibility(destinationID: UUID, messageID: UUID, receipt: UUID, seconds: Int) async throws -> AckResult {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH target AS (
                    SELECT id, state, receipt = \(receipt) AND state = 'running' AND run_at > now() AS holds
                    FROM dispatch_jobs WHERE destination_id = \(destinationID) AND message_id = \(messageID)
                ), changed AS (
                    UPDATE dispatch_jobs j SET run_at = now() + make_interval(secs => \(Double(seconds)))
                    FROM target t WHERE j.id = t.id AND t.holds
                    RETURNING j.id
                )
                SELECT holds, (SELECT count(*) FROM changed)::int FROM target
                """,
                logger: logger
            )
            for try await (holds, _) in rows.decode((Bool, Int).self) {
                guard holds else { return .staleReceipt }
                if seconds == 0 {
                    _ = try await connection.query(
                        "SELECT pg_notify('dispatch_jobs', \(destinationID.uuidString.lowercased()))",
                        logger: logger
                    )
                }
                return .acked
            }
            return .notFound
        }
    }

    public struct DeadMessage: Sendable, Equatable {
        public var jobID: Int64
        public var messageID: UUID
        public var eventType: String
        public var attempts: Int
        public var lastError: String?
        public var diedAt: Date?
        public var reportID: UUID?
        public var paymentIntentID: UUID?
        public var createdAt: Date
    }

    /// Dead messages of a destination, oldest first, after the job id `after`.
    public func dead(destinationID: UUID, limit: Int, after: Int64?) async throws -> [DeadMessage] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, message_id, event_type, attempts, last_error, finished_at, report_id, created_at, payment_intent_id
                FROM dispatch_jobs
                WHERE destination_id = \(destinationID) AND state = 'dead' AND id > \(after ?? 0)
                ORDER BY id LIMIT \(limit)
                """,
                logger: logger
            )
            var dead: [DeadMessage] = []
            for row in try await rows.collect(DeadRow.self) {
                dead.append(
                    DeadMessage(
                        jobID: row.id,
                        messageID: row.messageID,
                        eventType: row.eventType,
                        attempts: row.attempts,
                        lastError: row.lastError,
                        diedAt: row.finishedAt,
                        reportID: row.reportID,
                        paymentIntentID: row.paymentIntentID,
                        createdAt: row.createdAt
                    )
                )
            }
            return dead
        }
    }

    struct DeadRow: RowDecodable {
        var id: Int64
        var messageID: UUID
        var eventType: String
        var attempts: Int
        var lastError: String?
        var finishedAt: Date?
        var reportID: UUID?
        var createdAt: Date
        var paymentIntentID: UUID?

        init(columns: RowColumns) throws {
            id = try columns("id")
            messageID = try columns("message_id")
            eventType = try columns("event_type")
            attempts = try columns("attempts")
            lastError = try columns("last_error")
            finishedAt = try columns("finished_at")
            reportID = try columns("report_id")
            createdAt = try columns("created_at")
            paymentIntentID = try columns("payment_intent_id")
        }
    }

    public enum RedriveResult: Sendable, Equatable { case redriven, notDead, notFound }

    /// Puts a dead message back in its queue with a fresh attempt count.
    public func redrive(destinationID: UUID, messageID: UUID) async throws -> RedriveResult {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH target AS (
                    SELECT id, state FROM dispatch_jobs WHERE destination_id = \(destinationID) AND message_id = \(messageID)
                ), redriven AS (
                    UPDATE dispatch_jobs j SET state = 'pending', attempts = 0, run_at = now(), finished_at = NULL,
                        receipt = NULL, locked_by = NULL, last_error = NULL
                    FROM target t WHERE j.id = t.id AND t.state = 'dead'
                    RETURNING j.id
                )
                SELECT state FROM target
                """,
                logger: logger
            )
            for try await state in rows.decode(String.self) {
                guard state == "dead" else { return .notDead }
                _ = try await connection.query(
                    "SELECT pg_notify('dispatch_jobs', \(destinationID.uuidString.lowercased()))",
                    logger: logger
                )
                return .redriven
            }
            return .notFound
        }
    }
}
