import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Reads for back offices and operators: search with keyset pages, the day's reconciliation,
/// and the intents the expiry sweep must look at.
extension PaymentStore {
    public struct Search: Sendable {
        public var councilID: UUID
        public var createdFrom: Date?
        public var createdBefore: Date?
        public var state: PaymentState?
        public var accountReference: String?
        public var limit: Int
        /// The last intent of the previous page: pages run newest first, by (created_at, id).
        public var after: UUID?

        public init(
            councilID: UUID,
            createdFrom: Date? = nil,
            createdBefore: Date? = nil,
            state: PaymentState? = nil,
            accountReference: String? = nil,
            limit: Int = 50,
            after: UUID? = nil
        ) {
            self.councilID = councilID
            self.createdFrom = createdFrom
            self.createdBefore = createdBefore
            self.state = state
            self.accountReference = accountReference
            self.limit = limit
            self.after = after
        }
    }

    /// One page, newest first; `limit + 1` rows are read so the caller knows whether more follow.
    public func search(_ search: Search) async throws -> [PaymentIntent] {
        return try await list(
            """
            WHERE i.council_id = \(search.councilID)
              AND (\(search.createdFrom)::timestamptz IS NULL OR i.created_at >= \(search.createdFrom))
              AND (\(search.createdBefore)::timestamptz IS NULL OR i.created_at < \(search.createdBefore))
              AND (\(search.state?.rawValue)::text IS NULL OR i.state = \(search.state?.rawValue))
              AND (\(search.accountReference)::text IS NULL OR i.account_reference = \(search.accountReference))
              AND (\(search.after)::uuid IS NULL
                   OR (i.created_at, i.id) < (SELECT created_at, id FROM payment_intents WHERE id = \(search.after)))
            ORDER BY i.created_at DESC, i.id DESC
            LIMIT \(search.limit + 1)
            """
        )
    }

    /// Intents paid (the provider said success) in [start, end): money the revenues system
    /// should see, whatever has become of their hand-off since.
    public func reconciliation(councilID: UUID, start: Date, end: Date) async throws -> [Reconciliation.Line] {
        try await list(
            """
            WHERE i.council_id = \(councilID) AND i.paid_at >= \(start) AND i.paid_at < \(end)
              AND i.state IN ('succeeded', 'posting_queued', 'posted', 'posting_failed')
            ORDER BY i.paid_at, i.id
            """
        ).map {
            Reconciliation.Line(
                intentID: $0.id,
                paidAt: $0.paidAt ?? $0.updatedAt,
                accountReference: $0.accountReference,
                fundCode: $0.fundCode,
                amountPence: $0.amountPence,
                provider: $0.provider,
                providerReference: $0.providerReference ?? "",
                state: $0.state
            )
        }
    }

    /// Unfinished intents past their expiry time: never checked first, then the longest ago.
    public func pastExpiry(limit: Int) async throws -> [PaymentIntent] {
        try await list(
            """
            WHERE i.state IN ('created', 'pending') AND i.expires_at <= now()
            ORDER BY i.expiry_checked_at NULLS FIRST, i.expires_at LIMIT \(limit)
            """
        )
    }

    /// Notes that the sweep is asking the provider about this intent now.
    public func markExpiryChecked(_ id: UUID) async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query("UPDATE payment_intents SET expiry_checked_at = now() WHERE id = \(id)", logger: logger)
        }
    }
}

extension PaymentStore {
    /// Intents by id, for a batch of hand-off jobs.
    public func find(ids: [UUID]) async throws -> [UUID: PaymentIntent] {
        guard !ids.isEmpty else { return [:] }
        var found: [UUID: PaymentIntent] = [:]
        for intent in try await list("WHERE i.id = ANY(\(ids))") { found[intent.id] = intent }
        return found
    }
}
