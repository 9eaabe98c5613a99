import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// SQL for the audit log (`audit_events`).
public struct AuditStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Writes an entry before its change is attempted; returns its id for `complete`.
    public func begin(_ event: AuditEvent) async throws -> Int64 {
        let logger = self.logger
        let target = AttributeJSON.write(event.target)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                INSERT INTO audit_events (request_id, actor_key_id, actor_prefix, actor_role, actor_council, council_id,
                    council_slug, action, method, route, target, changes, status, completed_at)
                VALUES (\(event.requestID), \(event.actor.keyID), \(event.actor.keyPrefix), \(event.actor.role),
                    \(event.actor.councilSlug), \(event.councilID), \(event.councilSlug), \(event.action), \(event.method),
                    \(event.route), \(target)::jsonb, \(event.changes)::jsonb, \(event.status),
                    CASE WHEN \(event.status)::int IS NULL THEN NULL ELSE now() END)
                RETURNING id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { return id }
            throw NoRowReturned()
        }
    }

    /// The answer's status, and what the answer made (`notes`, merged into `changes`).
    public func complete(id: Int64, status: Int, notes: [String: String]) async throws {
        let logger = self.logger
        let merged = AttributeJSON.write(notes)
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                UPDATE audit_events SET status = \(status), completed_at = now(), changes = changes || \(merged)::jsonb
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// Newest first; `before` is the last id of the previous page.
    public func list(_ filter: AuditEvent.Filter, limit: Int, before: Int64?) async throws -> [AuditEvent] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, at, completed_at, request_id, actor_key_id, actor_prefix, actor_role, actor_council, council_id,
                    council_slug, action, method, route, target::text, changes::text, status
                FROM audit_events
                WHERE (\(before)::bigint IS NULL OR id < \(before))
                  AND (\(filter.councilSlug)::text IS NULL OR council_slug = \(filter.councilSlug))
                  AND (\(filter.actorPrefix)::text IS NULL OR actor_prefix = \(filter.actorPrefix))
                  AND (\(filter.action)::text IS NULL OR action = \(filter.action))
                  AND (\(filter.from)::timestamptz IS NULL OR at >= \(filter.from))
                  AND (\(filter.to)::timestamptz IS NULL OR at < \(filter.to))
                ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            var events: [AuditEvent] = []
            typealias Row = (
                Int64, Date, Date?, String, UUID?, String, String, String?, UUID?, String?, String, String, String, String, String,
                Int?
            )
            for try await row in rows.decode(Row.self) {
                var event = AuditEvent(
                    requestID: row.3, actor: .init(keyID: row.4, keyPrefix: row.5, role: row.6, councilSlug: row.7),
                    councilID: row.8, councilSlug: row.9, action: row.10, method: row.11, route: row.12,
                    target: (try? JSONDecoder().decode([String: String].self, from: Data(row.13.utf8))) ?? [:], changes: row.14)
                event.id = row.0
                event.at = row.1
                event.completedAt = row.2
                event.status = row.15
                events.append(event)
            }
            return events
        }
    }
}
