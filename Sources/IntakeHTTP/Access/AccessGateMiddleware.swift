import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// Who may call each keyed operation, decided before the request body is read or decoded: a
/// caller without a key (or with a key of the wrong role, or another council's) learns nothing
/// about what the body should have been. The handlers check again with the resource in hand.
enum AccessRule: Sendable, Equatable {
    /// A key of one of these roles.
    case roles(Set<Role>)
    /// An admin key, or a back-office key of the council in the path's `{slug}` (another
    /// council's key gets the same 404 as a council that does not exist).
    case councilStaff
    /// The report's tracking token in `X-Tracking-Token`.
    case trackingToken

    /// Every keyed operation of the generated API, by method and path template. A test checks
    /// that each operation the contract marks with `security` is here.
    static let table: [String: AccessRule] = [
        "POST /v1/councils": .roles([.admin]),
        "PATCH /v1/councils/{slug}": .councilStaff,
        "PUT /v1/councils/{slug}/boundary": .roles([.admin]),
        "POST /v1/councils/{slug}/categories": .councilStaff,
        "PATCH /v1/councils/{slug}/categories/{code}": .councilStaff,
        "DELETE /v1/councils/{slug}/categories/{code}": .councilStaff,
        "POST /v1/reports": .roles([.client]),
        "POST /v1/reports/{id}/updates": .trackingToken,
        "DELETE /v1/reports/{id}/reporter": .roles([.admin]),
        "POST /v1/media": .roles([.client]),
        "GET /v1/api-keys": .roles([.admin]),
        "POST /v1/api-keys": .roles([.admin]),
        "DELETE /v1/api-keys/{prefix}": .roles([.admin]),
        "GET /v1/audit": .roles([.admin]),
        "GET /v1/councils/{slug}/destinations": .councilStaff,
        "POST /v1/councils/{slug}/destinations": .councilStaff,
        "GET /v1/councils/{slug}/destinations/{name}": .councilStaff,
        "PATCH /v1/councils/{slug}/destinations/{name}": .councilStaff,
        "DELETE /v1/councils/{slug}/destinations/{name}": .councilStaff,
        "POST /v1/councils/{slug}/destinations/{name}/rotate-secret": .councilStaff,
        "GET /v1/councils/{slug}/destinations/{name}/attempts": .councilStaff,
        "GET /v1/councils/{slug}/destinations/{name}/dead": .councilStaff,
        "POST /v1/councils/{slug}/destinations/{name}/dead/{message_id}/redrive": .councilStaff,
        "GET /v1/dispatch/stats": .roles([.admin]),
        "GET /v1/backoffice/queues": .roles([.backoffice]),
        "POST /v1/backoffice/queues/{queue}/receive": .roles([.backoffice]),
        "POST /v1/backoffice/queues/{queue}/ack": .roles([.backoffice]),
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/ack": .roles([.backoffice]),
        "POST /v1/backoffice/queues/{queue}/messages/{message_id}/visibility": .roles([.backoffice]),
        "GET /v1/backoffice/queues/{queue}/dead": .roles([.backoffice]),
        "POST /v1/backoffice/queues/{queue}/dead/{message_id}/redrive": .roles([.backoffice]),
        "POST /v1/backoffice/cases/{id}/acknowledge": .roles([.backoffice]),
        "POST /v1/backoffice/cases/{id}/status": .roles([.backoffice]),
        "POST /v1/payment-intents": .roles([.client]),
        "GET /v1/payment-intents/{id}": .roles(Set(Role.allCases)),
        "GET /v1/councils/{slug}/payment-settings": .councilStaff,
        "PUT /v1/councils/{slug}/payment-settings": .roles([.admin]),
        "GET /v1/councils/{slug}/notify-settings": .councilStaff,
        "PUT /v1/councils/{slug}/notify-settings": .councilStaff,
        "POST /v1/alerts": .roles([.client]),
        "POST /v1/councils/{slug}/staff": .councilStaff,
        "POST /v1/alerts/erase": .roles([.admin]),
        "GET /v1/councils/{slug}/payments": .councilStaff,
        "GET /v1/councils/{slug}/payments/reconciliation": .councilStaff,
    ]

    static func rule(method: HTTPRequest.Method, path: String) -> AccessRule? {
        table["\(method.rawValue) \(path)"]
    }
}

/// Applies `AccessRule.table` to the matched route, before `RequestBodyMiddleware` collects
/// the body and long before the generated server decodes it.
struct AccessGateMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let auth: Authenticator
    let councils: CouncilService

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let path = context.endpointPath, let rule = AccessRule.rule(method: request.method, path: path) else {
            return try await next(request, context)
        }
        var context = context
        switch rule {
        case .roles(let roles):
            context.principal = try await auth.require(roles)
        case .councilStaff:
            let principal = try await auth.require([.admin, .backoffice])
            if principal.role == .backoffice, let slug = context.parameters.get("slug") {
                guard let council = try await councils.find(slug: slug), council.id == principal.councilID else {
                    throw APIError.councilNotFound(slug)
                }
            }
            context.principal = principal
        case .trackingToken:
            guard let token = request.headers[.xTrackingToken], !token.isEmpty else {
                throw APIError(
                    status: 401,
                    code: "tracking_token_required",
                    title: "Unauthorized",
                    detail: "Send the report's tracking token in X-Tracking-Token."
                )
            }
        }
        return try await next(request, context)
    }
}
