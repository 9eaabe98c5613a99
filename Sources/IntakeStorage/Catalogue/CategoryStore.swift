import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for each council's service catalogue.
public struct CategoryStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public enum WriteError: Error { case codeTaken }

    public func create(_ definition: CategoryDefinition, councilID: UUID) async throws -> Category {
        let logger = self.logger
        let attributes = try Self.encode(definition.attributes)
        do {
            return try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO categories (council_id, code, name, description, group_name, keywords, attributes,
                            photo_required, anonymous_allowed, contact_required, destination)
                        VALUES (\(councilID), \(definition.code), \(definition.name), \(definition.description),
                            \(definition.group), \(definition.keywords), \(attributes)::jsonb, \(definition.photoRequired),
                            \(definition.anonymousAllowed), \(definition.contactRequired), \(definition.destination))
                        RETURNING *
                    )
                    SELECT \(unescaped: Self.columns) FROM inserted cat JOIN councils c ON c.id = cat.council_id
                    """,
                    logger: logger
                )
                return try await Self.decode(rows).first!
            }
        } catch  where DatabaseErrors.sqlState(error) == "23505" {
            throw WriteError.codeTaken
        }
    }

    public func update(_ definition: CategoryDefinition, councilID: UUID) async throws -> Category? {
        let logger = self.logger
        let attributes = try Self.encode(definition.attributes)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH updated AS (
                    UPDATE categories SET name = \(definition.name), description = \(definition.description),
                        group_name = \(definition.group), keywords = \(definition.keywords),
                        attributes = \(attributes)::jsonb, photo_required = \(definition.photoRequired),
                        anonymous_allowed = \(definition.anonymousAllowed),
                        contact_required = \(definition.contactRequired), destination = \(definition.destination),
                        updated_at = now()
                    WHERE council_id = \(councilID) AND code = \(definition.code)
                    RETURNING *
                )
                SELECT \(unescaped: Self.columns) FROM updated cat JOIN councils c ON c.id = cat.council_id
                """,
                logger: logger
            )
            return try await Self.decode(rows).first
        }
    }

    /// Retires a category (idempotent); nil when the council has no such category.
    public func retire(code: String, councilID: UUID) async throws -> Category? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH retired AS (
                    UPDATE categories SET retired_at = COALESCE(retired_at, now()), updated_at = now()
                    WHERE council_id = \(councilID) AND code = \(code)
                    RETURNING *
                )
                SELECT \(unescaped: Self.columns) FROM retired cat JOIN councils c ON c.id = cat.council_id
                """,
                logger: logger
            )
            return try await Self.decode(rows).first
        }
    }

    public func find(code: String, councilID: UUID) async throws -> Category? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM categories cat JOIN councils c ON c.id = cat.council_id
                WHERE cat.council_id = \(councilID) AND cat.code = \(code)
                """,
                logger: logger
            )
            return try await Self.decode(rows).first
        }
    }

    public func list(councilID: UUID, includeRetired: Bool) async throws -> [Category] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM categories cat JOIN councils c ON c.id = cat.council_id
                WHERE cat.council_id = \(councilID) AND (\(includeRetired) OR cat.retired_at IS NULL)
                ORDER BY cat.code
                """,
                logger: logger
            )
            return try await Self.decode(rows)
        }
    }

    static let columns = """
        cat.code, cat.name, cat.description, cat.group_name, cat.keywords, cat.attributes::text AS attributes,
        cat.photo_required, cat.anonymous_allowed, cat.contact_required, cat.destination,
        c.id AS council_id, c.slug AS council_slug, c.name AS council_name, c.tier AS council_tier,
        cat.created_at, cat.updated_at, cat.retired_at
        """

    /// A row of `columns`.
    struct CategoryRow: RowDecodable {
        var code: String
        var name: String
        var description: String
        var groupName: String
        var keywords: [String]
        var attributes: String
        var photoRequired: Bool
        var anonymousAllowed: Bool
        var contactRequired: Bool
        var destination: String?
        var councilID: UUID
        var councilSlug: String
        var councilName: String
        var councilTier: String
        var createdAt: Date
        var updatedAt: Date
        var retiredAt: Date?

        init(columns: RowColumns) throws {
            code = try columns("code")
            name = try columns("name")
            description = try columns("description")
            groupName = try columns("group_name")
            keywords = try columns("keywords")
            attributes = try columns("attributes")
            photoRequired = try columns("photo_required")
            anonymousAllowed = try columns("anonymous_allowed")
            contactRequired = try columns("contact_required")
            destination = try columns("destination")
            councilID = try columns("council_id")
            councilSlug = try columns("council_slug")
            councilName = try columns("council_name")
            councilTier = try columns("council_tier")
            createdAt = try columns("created_at")
            updatedAt = try columns("updated_at")
            retiredAt = try columns("retired_at")
        }
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [Category] {
        var categories: [Category] = []
        for row in try await rows.collect(CategoryRow.self) {
            let attributes = try JSONDecoder().decode([CategoryAttribute].self, from: Data(row.attributes.utf8))
            let definition = CategoryDefinition(
                code: row.code,
                name: row.name,
                description: row.description,
                group: row.groupName,
                keywords: row.keywords,
                attributes: attributes.sorted { ($0.order, $0.code) < ($1.order, $1.code) },
                photoRequired: row.photoRequired,
                anonymousAllowed: row.anonymousAllowed,
                contactRequired: row.contactRequired,
                destination: row.destination
            )
            let council = CouncilRef(
                id: row.councilID,
                slug: row.councilSlug,
                name: row.councilName,
                tier: Council.Tier(rawValue: row.councilTier) ?? .unitary
            )
            categories.append(
                Category(definition: definition, council: council, createdAt: row.createdAt, updatedAt: row.updatedAt, retiredAt: row.retiredAt)
            )
        }
        return categories
    }

    public static func encode(_ attributes: [CategoryAttribute]) throws -> String {
        String(decoding: try JSONEncoder().encode(attributes), as: UTF8.self)
    }
}
