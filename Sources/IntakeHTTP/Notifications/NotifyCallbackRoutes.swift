import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeServices

/// GOV.UK Notify's callbacks to a council: delivery receipts and received texts. Not generated
/// (Notify's format is Notify's), and the caller is decided before the body is read: the
/// council's callback token, compared in constant time.
struct NotifyCallbackRoutes: Sendable {
    let notifications: NotificationService

    /// Notify's callbacks are small; anything bigger is not one.
    static let bodyLimit = 64 * 1024

    func register(on router: Router<IntakeRequestContext>, routes: RouteTable) {
        let handler = self
        router.post("/v1/notify-callbacks/:council") { request, context in
            try await handler.receipt(request, context)
        }
        routes.add(method: .post, path: "/v1/notify-callbacks/:council")
        router.post("/v1/notify-callbacks/:council/received-text") { request, context in
            try await handler.receivedText(request, context)
        }
        routes.add(method: .post, path: "/v1/notify-callbacks/:council/received-text")
    }

    func receipt(_ request: Request, _ context: IntakeRequestContext) async throws -> Response {
        var request = request
        let councilID = try await authenticate(request, context)
        let body = try await RequestBodyMiddleware.collect(&request, upTo: Self.bodyLimit)
        let recorded = try await translating { try await notifications.receipt(Array(body.readableBytesView), councilID: councilID) }
        return Self.result(recorded ? "recorded" : "unknown_message")
    }

    func receivedText(_ request: Request, _ context: IntakeRequestContext) async throws -> Response {
        var request = request
        let councilID = try await authenticate(request, context)
        let body = try await RequestBodyMiddleware.collect(&request, upTo: Self.bodyLimit)
        let stopped = try await translating { try await notifications.receivedText(Array(body.readableBytesView), councilID: councilID) }
        return Self.result(stopped ? "stopped" : "ignored")
    }

    func authenticate(_ request: Request, _ context: IntakeRequestContext) async throws -> UUID {
        let slug = context.parameters.get("council") ?? ""
        let header = request.headers[.authorization]
        let bearer = header.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        return try await translating { try await notifications.authenticateCallback(councilSlug: slug, bearer: bearer) }
    }

    func translating<T: Sendable>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let refusal as NotificationService.CallbackRefusal {
            switch refusal {
            case .notConfigured: throw APIError.notFound("No Notify callback is set up at this address.")
            case .badToken:
                throw APIError(
                    status: 401,
                    code: "invalid_token",
                    title: "Unauthorized",
                    detail: "The bearer token is missing or is not this council's Notify callback token.",
                    headers: ["WWW-Authenticate": "Bearer"]
                )
            case .malformed(let why): throw APIError.badRequest("This is not a GOV.UK Notify callback: \(why).", code: "malformed_callback")
            }
        }
    }

    static func result(_ result: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"result":"\#(result)"}"#))
        )
    }
}
