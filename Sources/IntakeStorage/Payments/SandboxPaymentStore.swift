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
                """,
                logger: logger
            )
            for try await id in rows.decode(UUID.self) { return id }
            throw NoRowReturned()
        }
    }

    public func find(_ id: UUID) async throws -> Payment? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT s.id, s.council_id, c.name AS council_name, c.slug AS council_slug, s.amount_pence, s.reference, s.description,
                    s.return_url, s.status, s.failure_code
                FROM sandbox_payments s JOIN councils c ON c.id = s.council_id WHERE s.id = \(id)
                """,
                logger: logger
            )
            guard let row = try await rows.first(PaymentRow.self) else { return nil }
            return Payment(
                id: row.id,
                councilID: row.councilID,
                councilName: row.councilName,
                councilSlug: row.councilSlug,
                amountPence: row.amountPence,
                reference: row.reference,
                description: row.description,
                returnURL: row.returnURL,
                status: row.status,
                failureCode: row.failureCode
            )
        }
    }

    struct PaymentRow: RowDecodable {
        var id: UUID
        var councilID: UUID
        var councilName: String
        var councilSlug: String
        var amountPence: Int64
        var reference: String
        var description: String
        var returnURL: String
        var status: String
        var failureCode: String?

        init(columns: RowColumns) throws {
            id = try columns("id")
            councilID = try columns("council_id")
            councilName = try columns("council_name")
            councilSlug = try columns("council_slug")
            amountPence = try columns("amount_pence")
            reference = try columns("reference")
            description = try columns("description")
            returnURL = try columns("return_url")
            status = try columns("status")
            failureCode = try columns("failure_code")
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
                """,
                logger: logger
            )
            for try await _ in rows.decode(Bool.self) { return true }
            return false
        }
    }
}
