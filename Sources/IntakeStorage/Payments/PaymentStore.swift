import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for payment intents. Every change of state is one guarded statement: it moves the
/// intent only from the state the caller saw, and writes the event in the same statement, so
/// concurrent or replayed confirmations make one move and the rest change nothing.
public struct PaymentStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct NewIntent: Sendable {
        public var councilID: UUID
        public var accountReference: String
        public var amountPence: Int64
        public var returnURL: String
        public var provider: String
        public var expiresAt: Date

        public init(councilID: UUID, accountReference: String, amountPence: Int64, returnURL: String, provider: String, expiresAt: Date) {
            self.councilID = councilID
            self.accountReference = accountReference
            self.amountPence = amountPence
            self.returnURL = returnURL
            self.provider = provider
            self.expiresAt = expiresAt
        }
    }

    /// Stores a new intent in `created`, with its first event; returns its id.
    public func create(_ intent: NewIntent, actor: String) async throws -> UUID {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH intent AS (
                    INSERT INTO payment_intents (council_id, purpose, account_reference, amount_pence, return_url, provider, expires_at)
                    VALUES (\(intent.councilID), 'council_tax', \(intent.accountReference), \(intent.amountPence), \(intent.returnURL),
                            \(intent.provider), \(intent.expiresAt))
                    RETURNING id
                ), event AS (
                    INSERT INTO payment_events (intent_id, from_state, to_state, actor, reason)
                    SELECT id, NULL, 'created', \(actor), 'created' FROM intent
                )
                SELECT id FROM intent
                """, logger: logger)
            for try await id in rows.decode(UUID.self) { return id }
            throw APIError.internalError
        }
    }

    public enum MoveResult: Sendable, Equatable {
        case moved
        /// The intent was not in `from` (someone else moved it first, or the event is stale).
        case notInExpectedState(current: PaymentState?)
        /// `PaymentState.canMove` forbids it; nothing was attempted.
        case forbidden
    }

    /// Moves an intent from `from` to `to` if, and only if, it is still in `from`.
    public func move(_ id: UUID, from: PaymentState, to: PaymentState, actor: String, reason: String) async throws -> MoveResult {
        guard from.canMove(to: to) else { return .forbidden }
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH moved AS (
                    UPDATE payment_intents SET state = \(to.rawValue), updated_at = now()
                    WHERE id = \(id) AND state = \(from.rawValue)
                    RETURNING id
                ), event AS (
                    INSERT INTO payment_events (intent_id, from_state, to_state, actor, reason)
                    SELECT id, \(from.rawValue), \(to.rawValue), \(actor), \(reason) FROM moved
                )
                SELECT (SELECT count(*)::int FROM moved), (SELECT state FROM payment_intents WHERE id = \(id))
                """, logger: logger)
            for try await (count, current) in rows.decode((Int, String?).self) {
                return count == 1 ? .moved : .notInExpectedState(current: current.flatMap(PaymentState.init(rawValue:)))
            }
            return .notInExpectedState(current: nil)
        }
    }

    /// The intent's states in order, from its events.
    public func history(_ id: UUID) async throws -> [(from: PaymentState?, to: PaymentState, actor: String)] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT from_state, to_state, actor FROM payment_events WHERE intent_id = \(id) ORDER BY id", logger: logger)
            var events: [(PaymentState?, PaymentState, String)] = []
            for try await (from, to, actor) in rows.decode((String?, String, String).self) {
                events.append((from.flatMap(PaymentState.init(rawValue:)), PaymentState(rawValue: to) ?? .created, actor))
            }
            return events
        }
    }
}
