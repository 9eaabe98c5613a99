import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Bringing an intent to where its provider says it is, and handing paid intents to the
/// council's revenues destination.
extension PaymentStore {
    public enum SettleResult: Sendable, Equatable {
        /// The intent moved to this state (a paid intent is then `posting_queued`).
        case moved(PaymentState)
        /// It had already left `created`/`pending`: a late, replayed or concurrent event.
        case unchanged(PaymentState?)

        /// Where the intent stands afterwards (nil: no such intent).
        public var state: PaymentState? {
            switch self {
            case .moved(let state): state
            case .unchanged(let state): state
            }
        }
    }

    /// Moves an open intent (created or pending) to `target`, only forwards. A paid intent is
    /// queued for its council's revenues destination in the same transaction, so it is handed
    /// off exactly once however many confirmations race here (the row lock orders them, the
    /// guarded moves and a unique job index make the losers change nothing).
    public func settle(
        _ id: UUID,
        to target: PaymentState,
        failureCode: String? = nil,
        actor: String,
        reason: String
    ) async throws -> SettleResult {
        let logger = self.logger
        let (result, handOff) = try await database.withTransaction { connection -> (SettleResult, UUID??) in
            let rows = try await connection.query(
                "SELECT state FROM payment_intents WHERE id = \(id) FOR UPDATE",
                logger: logger
            )
            var current: PaymentState?
            for try await state in rows.decode(String.self) { current = PaymentState(rawValue: state) }
            guard var state = current, state == .created || state == .pending, state != target else { return (.unchanged(current), nil) }
            if state == .created, target == .succeeded {
                _ = try await Self.move(id, from: .created, to: .pending, actor: actor, reason: "payer started", on: connection, logger: logger)
                state = .pending
            }
            guard try await Self.move(id, from: state, to: target, actor: actor, reason: reason, on: connection, logger: logger) == .moved
            else { return (.unchanged(state), nil) }
            if let failureCode {
                _ = try await connection.query(
                    "UPDATE payment_intents SET failure_code = \(failureCode) WHERE id = \(id)",
                    logger: logger
                )
            }
            guard target == .succeeded else { return (.moved(target), nil) }
            let destination = try await Self.queueHandOff(id, on: connection, logger: logger)
            return (.moved(.postingQueued), .some(destination))
        }
        if let handOff { database.announceJob(for: handOff) }
        return result
    }

    /// succeeded → posting_queued, with a `payment.succeeded` job for the council's revenues
    /// destination (or waiting for one, if the council has none yet).
    /// Returns the destination the job was queued for (nil: waiting for one).
    static func queueHandOff(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await connection.query(
            """
            SELECT d.id FROM payment_intents i
            JOIN destinations d ON d.council_id = i.council_id AND d.receives_payments
            WHERE i.id = \(id)
            """,
            logger: logger
        )
        var destination: UUID?
        for try await found in rows.decode(UUID.self) { destination = found }
        let reason = destination == nil ? "waiting for the council's revenues destination" : "queued for the revenues destination"
        _ = try await Self.move(id, from: .succeeded, to: .postingQueued, actor: "system", reason: reason, on: connection, logger: logger)
        _ = try await connection.query(
            """
            INSERT INTO dispatch_jobs (payment_intent_id, event_type, destination_id)
            VALUES (\(id), 'payment.succeeded', \(destination))
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
        return destination
    }

    // MARK: Provider events

    /// Whether this provider event was handled before (a redelivery).
    public func providerEventSeen(provider: String, eventID: String) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT true FROM payment_provider_events WHERE provider = \(provider) AND event_id = \(eventID)",
                logger: logger
            )
            for try await _ in rows.decode(Bool.self) { return true }
            return false
        }
    }

    /// Notes a handled provider event, so a redelivery is answered without asking the provider.
    public func recordProviderEvent(provider: String, eventID: String, intentID: UUID?) async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                INSERT INTO payment_provider_events (provider, event_id, intent_id) VALUES (\(provider), \(eventID), \(intentID))
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
        }
    }

    /// Deletes event ids older than `days` (providers stop retrying after about 3 days).
    public func pruneProviderEvents(days: Int = 14) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM payment_provider_events WHERE received_at < now() - make_interval(days => \(days)::int) RETURNING 1
                ) SELECT count(*)::int FROM gone
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
