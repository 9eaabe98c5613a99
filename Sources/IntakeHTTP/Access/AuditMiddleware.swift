import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import Logging

/// The audited operations, by method and path template, and the action each records. A test
/// checks that every changing operation open to admin or back-office keys is here or among
/// `AuditedRoute.unaudited`.
enum AuditedRoute {
    static let actions: [String: String] = [
        "POST /v1/councils": "council.create",
        "PATCH /v1/councils/{slug}": "council.update",
        "PUT /v1/councils/{slug}/boundary": "council.boundary.replace",
        "POST /v1/councils/{slug}/categories": "category.create",
        "PATCH /v1/councils/{slug}/categories/{code}": "category.update",
        "DELETE /v1/councils/{slug}/categories/{code}": "category.retire",
        "DELETE /v1/reports/{id}/reporter": "reporter.erase",
        "POST /v1/api-keys": "api_key.create",
        "DELETE /v1/api-keys/{prefix}": "api_key.revoke",
        "POST /v1/councils/{slug}/destinations": "destination.create",
        "PATCH /v1/councils/{slug}/destinations/{name}": "destination.update",
        "DELETE /v1/councils/{slug}/destinations/{name}": "destination.delete",
        "POST /v1/councils/{slug}/destinations/{name}/rotate-secret": "destination.secret.rotate",
        "POST /v1/councils/{slug}/destinations/{name}/dead/{message_id}/redrive": "destination.dead.redrive",
        "POST /v1/backoffice/queues/{queue}/dead/{message_id}/redrive": "queue.dead.redrive",
        "PUT /v1/councils/{slug}/payment-settings": "payment_settings.put",
        "PUT /v1/councils/{slug}/notify-settings": "notify_settings.put",
        "POST /v1/alerts/erase": "alert_subscriber.erase",
        "POST /v1/councils/{slug}/staff": "staff.create",
    ]

    /// Fields kept out of the entry on a route besides the secrets everywhere: the address an
    /// erasure removes must not stay behind in the audit log.
    static let personalFields: [String: Set<String>] = ["alert_subscriber.erase": ["email"]]

    /// Back offices' everyday work, recorded in each case's own timeline instead.
    static let unaudited: Set<String> = [
        "POST /v1/backoffice/queues/{queue}/receive",
        "POST /v1/backoffice/queues/{queue}/ack",
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/ack",
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/visibility",
        "POST /v1/backoffice/cases/{id}/acknowledge",
        "POST /v1/backoffice/cases/{id}/status",
    ]

    static let pathParameters = ["slug", "code", "id", "prefix", "name", "message_id", "queue"]
}

/// Writes an audit entry before an audited operation runs and completes it with the answer's
/// status. If the entry cannot be written the change is not attempted (503: the database is
/// what failed). Runs after the body is collected, so the entry can say what was asked.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let trail: AuditTrail
    /// DELETEs are not capped by `RequestBodyMiddleware`; what an entry reads is.
    let maxBodyBytes: Int

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let path = context.endpointPath, let action = AuditedRoute.actions["\(request.method.rawValue) \(path)"],
            let principal = context.principal
        else {
            return try await next(request, context)
        }
        var request = request
        let body = try await RequestBodyMiddleware.collect(&request, upTo: maxBodyBytes)
        var target: [String: String] = [:]
        for name in AuditedRoute.pathParameters {
            if let value = context.parameters.get(name) { target[name] = value }
        }
        // A whole key pasted where its prefix belongs: only the prefix is kept.
        if let prefix = target["prefix"], let token = APIKeyToken(parsing: prefix) { target["prefix"] = token.displayPrefix }
        let event = try await trail.event(
            requestID: context.requestID,
            principal: principal,
            action: action,
            method: request.method.rawValue,
            route: path,
            target: target,
            changes: AuditRedaction.changes(
                body: Data(body.readableBytesView),
                contentType: request.headers[.contentType],
                alsoRedact: AuditedRoute.personalFields[action] ?? []
            )
        )
        let id = try await trail.begin(event)
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            await complete(id, status: ErrorTranslation.problem(for: error).status, context: context)
            throw error
        }
        await complete(id, status: Int(response.status.code), context: context)
        return response
    }

    /// The change has been made or refused by now; failing to note the answer leaves the entry
    /// without a status (logged), and must not turn a change that happened into an error.
    func complete(_ id: Int64, status: Int, context: Context) async {
        do {
            try await trail.complete(id: id, status: status, notes: RequestScope.current?.audit.all ?? [:])
        } catch {
            context.logger.error(
                "could not complete an audit entry",
                metadata: ["audit_id": "\(id)", "error": "\(DatabaseErrors.summary(error))"]
            )
        }
    }
}
