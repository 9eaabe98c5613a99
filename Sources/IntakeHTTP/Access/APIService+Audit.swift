import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import OpenAPIRuntime

/// The audit log, for admins.
extension APIService {
    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        _ = try await auth.require([.admin])
        let query = input.query
        let limit = try Self.limit(query.limit, default: 50, max: 200)
        var errors: [FieldError] = []
        let from = Self.instant(query.from, endOfDay: false, pointer: "/query/from", errors: &errors)
        let to = Self.instant(query.to, endOfDay: true, pointer: "/query/to", errors: &errors)
        // As the contract's patterns say: values no change could be recorded under are refused.
        if let council = query.council, !council.isEmpty, !NewCouncil.isValidSlug(council) {
            errors.append(FieldError(pointer: "/query/council", detail: "is not a council slug", code: "invalid_slug"))
        }
        if let actor = query.actor, !actor.isEmpty, actor != "cli", actor.wholeMatch(of: /ci_[A-Za-z0-9]+/) == nil {
            errors.append(FieldError(pointer: "/query/actor", detail: "must be a key prefix (ci_…) or cli", code: "invalid_actor"))
        }
        if let action = query.action, action.wholeMatch(of: /[a-z0-9_.]*/) == nil {
            errors.append(FieldError(pointer: "/query/action", detail: "must be an action such as council.update", code: "invalid_action"))
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let before = try Self.sequenceCursor(query.cursor)
        let found = try await audit.page(
            .init(
                councilSlug: query.council.flatMap { $0.isEmpty ? nil : $0 },
                actorPrefix: query.actor.flatMap { $0.isEmpty ? nil : $0 },
                action: query.action.flatMap { $0.isEmpty ? nil : $0 },
                from: from,
                to: to
            ),
            limit: limit + 1,
            before: before
        )
        let page = Array(found.prefix(limit))
        return .ok(
            .init(
                body: .json(
                    .init(
                        events: try page.map(Components.Schemas.AuditEvent.init),
                        nextCursor: found.count > limit ? page.last.map { "\($0.id)" } : nil
                    )
                )
            )
        )
    }
}

extension Components.Schemas.AuditEvent {
    init(_ event: AuditEvent) throws {
        let changes = try JSONDecoder().decode(Components.Schemas.AuditEvent.ChangesPayload.self, from: Data(event.changes.utf8))
        self.init(
            id: "\(event.id)",
            at: event.at,
            completedAt: event.completedAt,
            requestId: event.requestID,
            actor: .init(keyPrefix: event.actor.keyPrefix, role: event.actor.role, council: event.actor.councilSlug),
            council: event.councilSlug,
            action: event.action,
            method: event.method,
            route: event.route,
            target: .init(additionalProperties: event.target),
            changes: changes,
            status: event.status
        )
    }
}
