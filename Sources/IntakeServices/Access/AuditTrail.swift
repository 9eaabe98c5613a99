import Foundation
import IntakeCore
import IntakeStorage

/// The audit log's use cases: open an entry before a change, close it with the answer, read
/// pages of it. Callers redact secrets before an entry gets here (`AuditRedaction`).
public struct AuditTrail: Sendable {
    let store: AuditStore
    let councils: CouncilStore

    public init(store: AuditStore, councils: CouncilStore) {
        self.store = store
        self.councils = councils
    }

    /// An entry for a request by `principal`: the council changed is the path's (`slug`), else
    /// a back-office key's own.
    public func event(
        requestID: String,
        principal: Principal,
        action: String,
        method: String,
        route: String,
        target: [String: String],
        changes: String
    ) async throws -> AuditEvent {
        var actorCouncil: String?
        if let id = principal.councilID { actorCouncil = try await councils.find(id: id)?.slug }
        var councilID: UUID?
        var councilSlug = target["slug"]
        if let slug = councilSlug {
            councilID = try await councils.find(slug: slug)?.id
        } else if principal.role == .backoffice {
            councilID = principal.councilID
            councilSlug = actorCouncil
        }
        return AuditEvent(
            requestID: requestID,
            actor: .init(keyID: principal.keyID, keyPrefix: principal.keyPrefix, role: principal.role.rawValue, councilSlug: actorCouncil),
            councilID: councilID,
            councilSlug: councilSlug,
            action: action,
            method: method,
            route: route,
            target: target,
            changes: changes
        )
    }

    public func begin(_ event: AuditEvent) async throws -> Int64 {
        try await store.begin(event)
    }

    public func complete(id: Int64, status: Int, notes: [String: String]) async throws {
        try await store.complete(id: id, status: status, notes: notes)
    }

    public func page(_ filter: AuditEvent.Filter, limit: Int, before: Int64?) async throws -> [AuditEvent] {
        try await store.list(filter, limit: limit, before: before)
    }
}
