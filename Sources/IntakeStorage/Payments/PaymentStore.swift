import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for payment intents. Every change of state is one guarded statement: it moves the
/// intent only from the state the caller saw, and writes the event in the same statement, so
/// concurrent or replayed confirmations make one move and the rest change nothing. (The
/// database's own trigger refuses any move `PaymentState.transitions` does not list.)
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
        public var fundCode: String
        public var description: String
        public var payerName: String?
        public var payerEmail: String?
        public var metadata: [String: PaymentIntent.MetadataValue]
        public var clientKeyID: UUID?

        public init(
            councilID: UUID,
            accountReference: String,
            amountPence: Int64,
            returnURL: String,
            provider: String,
            expiresAt: Date,
            fundCode: String = "",
            description: String = "",
            payerName: String? = nil,
            payerEmail: String? = nil,
            metadata: [String: PaymentIntent.MetadataValue] = [:],
            clientKeyID: UUID? = nil
        ) {
            self.councilID = councilID
            self.accountReference = accountReference
            self.amountPence = amountPence
            self.returnURL = returnURL
            self.provider = provider
            self.expiresAt = expiresAt
            self.fundCode = fundCode
            self.description = description
            self.payerName = payerName
            self.payerEmail = payerEmail
            self.metadata = metadata
            self.clientKeyID = clientKeyID
        }
    }

    /// Stores a new intent in `created`, with its first event; returns its id.
    public func create(_ intent: NewIntent, actor: String) async throws -> UUID {
        let logger = self.logger
        let metadata = String(decoding: try CaseMessage.encoder.encode(intent.metadata), as: UTF8.self)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH intent AS (
                    INSERT INTO payment_intents (council_id, purpose, account_reference, amount_pence, return_url, provider, expires_at,
                                                 fund_code, description, payer_name, payer_email, metadata, client_key_id)
                    VALUES (\(intent.councilID), 'council_tax', \(intent.accountReference), \(intent.amountPence), \(intent.returnURL),
                            \(intent.provider), \(intent.expiresAt), \(intent.fundCode), \(intent.description), \(intent.payerName),
                            \(intent.payerEmail), \(metadata)::jsonb, \(intent.clientKeyID))
                    RETURNING id
                ), event AS (
                    INSERT INTO payment_events (intent_id, from_state, to_state, actor, reason)
                    SELECT id, NULL, 'created', \(actor), 'created' FROM intent
                )
                SELECT id FROM intent
                """,
                logger: logger
            )
            for try await id in rows.decode(UUID.self) { return id }
            throw NoRowReturned()
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
        let logger = self.logger
        return try await database.withConnection { connection in
            try await Self.move(id, from: from, to: to, actor: actor, reason: reason, on: connection, logger: logger)
        }
    }

    /// The guarded move, on a connection the caller may hold a transaction on. `set` adds
    /// assignments (SQL the caller built from bindings) made only if the move happens.
    static func move(
        _ id: UUID,
        from: PaymentState,
        to: PaymentState,
        actor: String,
        reason: String,
        set: PostgresQuery? = nil,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> MoveResult {
        guard from.canMove(to: to) else { return .forbidden }
        let rows = try await connection.query(
            """
            WITH moved AS (
                UPDATE payment_intents SET state = \(to.rawValue), updated_at = now(),
                    paid_at = CASE WHEN \(to.rawValue) = 'succeeded' THEN now() ELSE paid_at END
                WHERE id = \(id) AND state = \(from.rawValue)
                RETURNING id
            ), event AS (
                INSERT INTO payment_events (intent_id, from_state, to_state, actor, reason)
                SELECT id, \(from.rawValue), \(to.rawValue), \(actor), \(reason) FROM moved
            )
            SELECT count(*)::int FROM moved
            """,
            logger: logger
        )
        var moved = false
        for try await count in rows.decode(Int.self) { moved = count == 1 }
        if moved { return .moved }
        // Read in a statement of its own: the guarded update may have waited for a concurrent
        // move to commit, and a read in the same statement would see the state from before it.
        let current = try await connection.query("SELECT state FROM payment_intents WHERE id = \(id)", logger: logger)
        for try await state in current.decode(String.self) { return .notInExpectedState(current: PaymentState(rawValue: state)) }
        return .notInExpectedState(current: nil)
    }

    /// Records the provider's payment (reference and the payer's page) and moves the intent to
    /// pending; returns the intent as it now stands, or nil if it had left `created`.
    /// `beforeCommit` gets it in the same transaction (the idempotent response is stored with it).
    @discardableResult
    public func attachProvider(
        _ id: UUID,
        reference: String,
        nextURL: String,
        beforeCommit: @escaping @Sendable (PaymentIntent, PostgresConnection) async throws -> Void = { _, _ in }
    ) async throws -> PaymentIntent? {
        let logger = self.logger
        return try await database.withTransaction { connection in
            _ = try await connection.query(
                """
                UPDATE payment_intents SET provider_reference = \(reference), next_url = \(nextURL)
                WHERE id = \(id) AND state = 'created'
                """,
                logger: logger
            )
            let result = try await Self.move(
                id,
                from: .created,
                to: .pending,
                actor: "system",
                reason: "payment created at the provider",
                on: connection,
                logger: logger
            )
            guard result == .moved, let intent = try await Self.find(id: id, on: connection, logger: logger) else { return nil }
            try await beforeCommit(intent, connection)
            return intent
        }
    }

    /// The intent's states in order, from its events.
    public func history(_ id: UUID) async throws -> [(from: PaymentState?, to: PaymentState, actor: String)] {
        try await events(id).map { ($0.from, $0.to, $0.actor) }
    }

    public struct Event: Sendable, Equatable {
        public var from: PaymentState?
        public var to: PaymentState
        public var actor: String
        public var reason: String
        public var at: Date
    }

    public func events(_ id: UUID) async throws -> [Event] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT from_state, to_state, actor, reason, created_at FROM payment_events WHERE intent_id = \(id) ORDER BY id",
                logger: logger
            )
            var events: [Event] = []
            for row in try await rows.collect(EventRow.self) {
                events.append(
                    Event(
                        from: row.fromState.flatMap(PaymentState.init(rawValue:)),
                        to: PaymentState(rawValue: row.toState) ?? .created,
                        actor: row.actor,
                        reason: row.reason,
                        at: row.createdAt
                    )
                )
            }
            return events
        }
    }

    struct EventRow: RowDecodable {
        var fromState: String?
        var toState: String
        var actor: String
        var reason: String
        var createdAt: Date

        init(columns: RowColumns) throws {
            fromState = try columns("from_state")
            toState = try columns("to_state")
            actor = try columns("actor")
            reason = try columns("reason")
            createdAt = try columns("created_at")
        }
    }

    // MARK: Reading intents

    static let columns = """
        i.id, c.id AS council_id, c.slug AS council_slug, c.name AS council_name, i.purpose, i.account_reference, i.fund_code,
        i.amount_pence, i.description, i.state, i.payer_name, i.payer_email, i.return_url, i.metadata::text AS metadata,
        i.provider, i.provider_reference, i.next_url, i.failure_code, i.client_key_id, i.expires_at, i.paid_at,
        i.created_at, i.updated_at
        """

    /// A row of `columns`.
    struct IntentRow: RowDecodable {
        var id: UUID
        var councilID: UUID
        var councilSlug: String
        var councilName: String
        var purpose: String
        var accountReference: String
        var fundCode: String
        var amountPence: Int64
        var description: String
        var state: String
        var payerName: String?
        var payerEmail: String?
        var returnURL: String
        var metadata: String
        var provider: String
        var providerReference: String?
        var nextURL: String?
        var failureCode: String?
        var clientKeyID: UUID?
        var expiresAt: Date
        var paidAt: Date?
        var createdAt: Date
        var updatedAt: Date

        init(columns: RowColumns) throws {
            id = try columns("id")
            councilID = try columns("council_id")
            councilSlug = try columns("council_slug")
            councilName = try columns("council_name")
            purpose = try columns("purpose")
            accountReference = try columns("account_reference")
            fundCode = try columns("fund_code")
            amountPence = try columns("amount_pence")
            description = try columns("description")
            state = try columns("state")
            payerName = try columns("payer_name")
            payerEmail = try columns("payer_email")
            returnURL = try columns("return_url")
            metadata = try columns("metadata")
            provider = try columns("provider")
            providerReference = try columns("provider_reference")
            nextURL = try columns("next_url")
            failureCode = try columns("failure_code")
            clientKeyID = try columns("client_key_id")
            expiresAt = try columns("expires_at")
            paidAt = try columns("paid_at")
            createdAt = try columns("created_at")
            updatedAt = try columns("updated_at")
        }
    }

    static func intent(_ row: IntentRow) -> PaymentIntent {
        let metadata = (try? CaseMessage.decoder.decode([String: PaymentIntent.MetadataValue].self, from: Data(row.metadata.utf8))) ?? [:]
        return PaymentIntent(
            id: row.id,
            council: .init(id: row.councilID, slug: row.councilSlug, name: row.councilName),
            purpose: PaymentIntent.Purpose(rawValue: row.purpose) ?? .councilTax,
            accountReference: row.accountReference,
            fundCode: row.fundCode,
            amountPence: row.amountPence,
            description: row.description,
            state: PaymentState(rawValue: row.state) ?? .created,
            payerName: row.payerName,
            payerEmail: row.payerEmail,
            returnURL: row.returnURL,
            metadata: metadata,
            provider: row.provider,
            providerReference: row.providerReference,
            nextURL: row.nextURL,
            failureCode: row.failureCode,
            clientKeyID: row.clientKeyID,
            expiresAt: row.expiresAt,
            paidAt: row.paidAt,
            createdAt: row.createdAt,
            updatedAt: row.updatedAt
        )
    }

    public func find(id: UUID) async throws -> PaymentIntent? {
        try await first("WHERE i.id = \(id)")
    }

    public func find(provider: String, reference: String) async throws -> PaymentIntent? {
        try await first("WHERE i.provider = \(provider) AND i.provider_reference = \(reference)")
    }

    func first(_ filter: PostgresQuery) async throws -> PaymentIntent? {
        try await list(filter).first
    }

    /// Intents matching `filter` (SQL after the FROM clause, over `payment_intents i` and `councils c`).
    func list(_ filter: PostgresQuery) async throws -> [PaymentIntent] {
        let logger = self.logger
        return try await database.withConnection { connection in
            try await Self.list(filter, on: connection, logger: logger)
        }
    }

    static func list(_ filter: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [PaymentIntent] {
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(Self.columns) FROM payment_intents i JOIN councils c ON c.id = i.council_id " + filter.sql,
            binds: filter.binds
        )
        let rows = try await connection.query(query, logger: logger)
        var intents: [PaymentIntent] = []
        for row in try await rows.collect(IntentRow.self) { intents.append(Self.intent(row)) }
        return intents
    }

    /// Inside a transaction that has just changed it.
    public static func find(id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> PaymentIntent? {
        try await list("WHERE i.id = \(id)", on: connection, logger: logger).first
    }
}
