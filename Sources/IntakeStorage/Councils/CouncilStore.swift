import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for councils.
public struct CouncilStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public enum CreateError: Error { case slugTaken }

    public func create(_ council: NewCouncil) async throws -> Council {
        let logger = self.logger
        do {
            return try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO councils (slug, name, tier, contact_email, contact_phone, website)
                    VALUES (\(council.slug), \(council.name), \(council.tier.rawValue), \(council.contact.email),
                            \(council.contact.phone), \(council.contact.website))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decodeOne(rows)!
            }
        } catch where DatabaseErrors.sqlState(error) == "23505" {
            throw CreateError.slugTaken
        }
    }

    public func find(slug: String) async throws -> Council? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM councils WHERE slug = \(slug)", logger: logger)
            return try await Self.decodeOne(rows)
        }
    }

    public func list() async throws -> [Council] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM councils ORDER BY slug", logger: logger)
            var councils: [Council] = []
            for try await row in rows.decode(Self.Row.self) { councils.append(Self.council(row)) }
            return councils
        }
    }

    static let columns = "id, slug, name, tier, contact_email, contact_phone, website, created_at, updated_at"
    typealias Row = (UUID, String, String, String, String?, String?, String?, Date, Date)

    static func council(_ row: Row) -> Council {
        Council(
            id: row.0, slug: row.1, name: row.2, tier: Council.Tier(rawValue: row.3) ?? .unitary,
            contact: .init(email: row.4, phone: row.5, website: row.6), createdAt: row.7, updatedAt: row.8)
    }

    static func decodeOne(_ rows: PostgresRowSequence) async throws -> Council? {
        for try await row in rows.decode(Row.self) { return council(row) }
        return nil
    }
}
