import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// The built-in sandbox provider's payments: created when an intent is, changed by the payer's
/// choice on the sandbox page, read back as the provider's authoritative state.
public struct SandboxPaymentStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Payment: Sendable, Equatable {
        public var id: UUID
        public var councilID: UUID
        public var councilName: String
        public var councilSlug: String
        public var amountPence: Int64
        public var reference: String
        public var description: String
        public var returnURL: String
        public var status: String
        public var failureCode: String?
    }

    public func create(councilID: UUID, amountPence: Int64, reference: String, description: String, returnURL: String) async throws -> UUID {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                INSERT INTO sandbox_payments (council_id, amount_pence, reference, description, return_url)
                VALUES (\(councilID), \(amountPence), \(reference), \(description), \(returnURL)) RETURNING id
                """, logger: logger)
            for try await id in rows.decode(UUID.self) { return id }
            throw NoRowReturned()
        }
    }

    public func find(_ id: UUID) async throws -> Payment? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT s.id, s.council_id, c.name, c.slug, s.amount_pence, s.reference, s.description, s.return_url, s.status, s.failure_code
                FROM sandbox_payments s JOIN councils c ON c.id = s.council_id WHERE s.id = \(id)
                """, logger: logger)
            for try await row in rows.decode((UUID, UUID, String, String, Int64, String, String, String, String, String?).self) {
                return Payment(
                    id: row.0, councilID: row.1, councilName: row.2, councilSlug: row.3, amountPence: row.4, reference: row.5,
                    description: row.6, returnURL: row.7, status: row.8, failureCode: row.9)
            }
            return nil
        }
    }

    /// Finishes a payment that is still open; false if it had already finished.
    public func finish(_ id: UUID, status: String, failureCode: String?) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                UPDATE sandbox_payments SET status = \(status), failure_code = \(failureCode), updated_at = now()
                WHERE id = \(id) AND status = 'created' RETURNING true
                """, logger: logger)
            for try await _ in rows.decode(Bool.self) { return true }
            return false
        }
    }
}
