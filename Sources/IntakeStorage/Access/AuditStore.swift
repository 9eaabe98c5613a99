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
                """,
                logger: logger
            )
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
                """,
                logger: logger
            )
        }
    }

    /// Newest first; `before` is the last id of the previous page.
    public func list(_ filter: AuditEvent.Filter, limit: Int, before: Int64?) async throws -> [AuditEvent] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT id, at, completed_at, request_id, actor_key_id, actor_prefix, actor_role, actor_council, council_id,
                    council_slug, action, method, route, target::text AS target, changes::text AS changes, status
                FROM audit_events
                WHERE (\(before)::bigint IS NULL OR id < \(before))
                  AND (\(filter.councilSlug)::text IS NULL OR council_slug = \(filter.councilSlug))
                  AND (\(filter.actorPrefix)::text IS NULL OR actor_prefix = \(filter.actorPrefix))
                  AND (\(filter.action)::text IS NULL OR action = \(filter.action))
                  AND (\(filter.from)::timestamptz IS NULL OR at >= \(filter.from))
                  AND (\(filter.to)::timestamptz IS NULL OR at < \(filter.to))
                ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var events: [AuditEvent] = []
            for row in try await rows.collect(EventRow.self) {
                var event = AuditEvent(
                    requestID: row.requestID,
                    actor: .init(keyID: row.actorKeyID, keyPrefix: row.actorPrefix, role: row.actorRole, councilSlug: row.actorCouncil),
                    councilID: row.councilID,
                    councilSlug: row.councilSlug,
                    action: row.action,
                    method: row.method,
                    route: row.route,
                    target: (try? JSONDecoder().decode([String: String].self, from: Data(row.target.utf8))) ?? [:],
                    changes: row.changes
                )
                event.id = row.id
                event.at = row.at
                event.completedAt = row.completedAt
                event.status = row.status
                events.append(event)
            }
            return events
        }
    }

    struct EventRow: RowDecodable {
        var id: Int64
        var at: Date
        var completedAt: Date?
        var requestID: String
        var actorKeyID: UUID?
        var actorPrefix: String
        var actorRole: String
        var actorCouncil: String?
        var councilID: UUID?
        var councilSlug: String?
        var action: String
        var method: String
        var route: String
        var target: String
        var changes: String
        var status: Int?

        init(columns: RowColumns) throws {
            id = try columns("id")
            at = try columns("at")
            completedAt = try columns("completed_at")
            requestID = try columns("request_id")
            actorKeyID = try columns("actor_key_id")
            actorPrefix = try columns("actor_prefix")
            actorRole = try columns("actor_role")
            actorCouncil = try columns("actor_council")
            councilID = try columns("council_id")
            councilSlug = try columns("council_slug")
            action = try columns("action")
            method = try columns("method")
            route = try columns("route")
            target = try columns("target")
            changes = try columns("changes")
            status = try columns("status")
        }
    }
}
