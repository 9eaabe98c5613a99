import Crypto
import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for photos. They are stored already cleaned (see `ImageSanitizer`).
public struct MediaStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Stored: Sendable, Equatable {
        public var id: UUID
        public var format: ImageFormat
        public var byteSize: Int
    }

    public func store(_ bytes: [UInt8], format: ImageFormat, clientKeyID: UUID) async throws -> Stored {
        let logger = self.logger
        let data = Data(bytes)
        let digest = Data(SHA256.hash(data: data))
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                INSERT INTO media (client_key_id, content_type, bytes, byte_size, sha256)
                VALUES (\(clientKeyID), \(format.contentType), \(data), \(data.count), \(digest))
                RETURNING id
                """,
                logger: logger
            )
            for try await id in rows.decode(UUID.self) { return Stored(id: id, format: format, byteSize: data.count) }
            throw NoRowReturned()
        }
    }

    public struct Fetched: Sendable {
        public var contentType: String
        public var bytes: Data
        public var etag: String
    }

    public func fetch(id: UUID) async throws -> Fetched? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT content_type, bytes, encode(sha256, 'hex') AS sha256_hex FROM media WHERE id = \(id)",
                logger: logger
            )
            guard let row = try await rows.first(FetchedRow.self) else { return nil }
            return Fetched(contentType: row.contentType, bytes: row.bytes, etag: "\"\(row.sha256Hex)\"")
        }
    }

    struct FetchedRow: RowDecodable {
        var contentType: String
        var bytes: Data
        var sha256Hex: String

        init(columns: RowColumns) throws {
            contentType = try columns("content_type")
            bytes = try columns("bytes")
            sha256Hex = try columns("sha256_hex")
        }
    }

    /// Photos that could not be attached: not uploaded with this client key, already attached,
    /// or unknown. `positions` index the list that was asked for.
    public struct NotAttachable: Error, Equatable {
        public var positions: [Int]
    }

    /// Attaches photos the client uploaded and has not attached yet, in the given order, inside
    /// the caller's transaction; throws `NotAttachable` naming the ids that do not qualify.
    static func attach(
        _ ids: [UUID],
        to reportID: UUID,
        clientKeyID: UUID?,
        startingAt position: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !ids.isEmpty else { return }
        let rows = try await connection.query(
            """
            UPDATE media m SET report_id = \(reportID), position = \(position) + chosen.ordinality, attached_at = now()
            FROM unnest(\(ids)::uuid[]) WITH ORDINALITY AS chosen(id, ordinality)
            WHERE m.id = chosen.id AND m.report_id IS NULL AND m.client_key_id IS NOT DISTINCT FROM \(clientKeyID)
            RETURNING m.id
            """,
            logger: logger
        )
        var attached = Set<UUID>()
        for try await id in rows.decode(UUID.self) { attached.insert(id) }
        let missing = ids.enumerated().filter { !attached.contains($0.element) }.map(\.offset)
        if !missing.isEmpty { throw NotAttachable(positions: missing) }
    }

    /// Deletes photos uploaded more than a day ago and never attached; returns how many.
    public func pruneUnattached(olderThanHours hours: Int = 24) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM media WHERE report_id IS NULL AND created_at < now() - make_interval(hours => \(hours)::int)
                    RETURNING 1
                ) SELECT count(*)::int FROM gone
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
