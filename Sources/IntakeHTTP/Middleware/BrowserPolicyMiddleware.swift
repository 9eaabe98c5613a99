import HTTPTypes
import Hummingbird
import IntakeServices

/// Cross-origin access for browser front ends (`CORS_ALLOWED_ORIGINS`), through Hummingbird's
/// `CORSMiddleware`: preflights are answered, an allowed origin is echoed (with `Vary: Origin`),
/// any other gets no CORS headers. Credentials are never allowed: the API takes bearer keys,
/// not cookies, and `*` with credentials would hand any site a logged-in user's access.
struct CORSPolicyMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let allowed: [String]

    static let headers: [HTTPField.Name] = [
        .accept, .authorization, .contentType, .origin, HTTPField.Name("Idempotency-Key")!, .xTrackingToken, .xRequestID,
    ]
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
    static let exposed = ["X-Request-Id", "Retry-After", "ETag", "Location", "RateLimit", "RateLimit-Policy"]

    static func middleware(_ origin: CORSMiddleware<Context>.AllowOriginExtended) -> CORSMiddleware<Context> {
        CORSMiddleware(
            allowOrigin: origin,
            allowHeaders: headers,
            allowMethods: methods,
            allowCredentials: false,
            exposedHeaders: exposed,
            maxAge: .seconds(600)
        )
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], !allowed.isEmpty else { return try await next(request, context) }
        if allowed == ["*"] { return try await Self.middleware(.all).handle(request, context: context, next: next) }
        guard allowed.contains(origin) else { return try await next(request, context) }
        return try await Self.middleware(.custom(origin)).handle(request, context: context, next: next)
    }
}

/// Headers every response carries: no MIME sniffing, no referrer leaking report URLs, no
/// framing, a restrictive Content-Security-Policy on HTML (pages that set their own keep it),
/// and HSTS when the service is reached over TLS (its public URL is https, or the proxy in
/// front says so).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let servedOverTLS: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.contentType]?.lowercased().hasPrefix("text/html") == true, response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        }
        if servedOverTLS || request.headers[.xForwardedProto]?.lowercased() == "https" {
            response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains"
        }
        return response
    }
}
