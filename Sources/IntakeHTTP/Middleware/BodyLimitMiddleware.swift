import HTTPTypes
import Hummingbird
import IntakeCore

/// Refuses bodies over the configured size with 413 before any handler reads them.
///
/// A declared Content-Length over the limit is refused at once; a chunked body is collected up
/// to the limit and refused when it goes over, so no handler ever buffers more than the limit.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let maxJSONBodyBytes: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch else {
            return try await next(request, context)
        }
        let limit = maxJSONBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
