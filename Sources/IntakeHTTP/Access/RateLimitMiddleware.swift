import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeOpen311
import IntakeProblems
import IntakeServices

/// The process's request quotas (see `IntakeConfig`): writes per client key, public reads per
/// client address, and report updates by tracking token per client address.
public struct RateLimits: Sendable {
    public let writes: RateLimiter?
    public let reads: RateLimiter?
    public let tracking: RateLimiter?
    let trustedProxyHops: Int

    public init(_ config: IntakeConfig) {
        func limiter(_ name: String, _ perMinute: Int) -> RateLimiter? {
            perMinute > 0 ? RateLimiter(policy: RateLimitPolicy(name: name, quota: perMinute, windowSeconds: 60)) : nil
        }
        writes = limiter("writes", config.rateLimitWritesPerMinute)
        reads = limiter("reads", config.rateLimitReadsPerMinute)
        tracking = limiter("tracking", config.rateLimitTrackingPerMinute)
        trustedProxyHops = config.trustedProxyHops
    }

    /// The client's address: the connection's, or behind `trustedProxyHops` proxies the entry
    /// of `X-Forwarded-For` the outermost trusted proxy wrote (entries further left are the
    /// client's to invent).
    func clientAddress(_ request: Request, peer: String?) -> String {
        guard trustedProxyHops > 0 else { return Self.bucket(peer ?? "unknown") }
        let entries = request.headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty else { return Self.bucket(peer ?? "unknown") }
        return Self.bucket(entries[max(0, entries.count - trustedProxyHops)])
    }

    /// IPv6 callers by their /64 (one subscriber's network holds more addresses than any
    /// quota); IPv4 callers by their address.
    static func bucket(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = [UInt8](repeating: 0, count: 16)
        let trimmed = address.hasPrefix("[") ? String(address.dropFirst().prefix { $0 != "]" }) : address
        guard inet_pton(AF_INET6, trimmed, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map { String($0) }.joined(separator: ".")  // IPv4-mapped
        }
        return bytes[0..<8].map { String(format: "%02x", $0) }.joined() + "::/64"
    }
}

extension RateLimitDecision {
    /// The 429 problem, with `Retry-After` and the IETF rate-limit headers.
    func problem(_ policy: RateLimitPolicy, caller: String) -> APIError {
        var error = APIError(
            status: 429,
            code: "rate_limited",
            title: "Too many requests",
            detail: "More than \(policy.quota) \(policy.name) a minute from this \(caller); try again in \(retryAfterSeconds) s."
        )
        error.retryAfter = retryAfterSeconds
        error.headers["RateLimit-Policy"] = policy.header
        error.headers["RateLimit"] = header(policy)
        return error
    }
}

/// Applies the quotas after the caller's key is known and before the body is read. The Open311
/// facade answers in its own format: its public reads are counted here too (429 as an Open311
/// error), and its writes, whose key is in the form, by the facade itself.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let limits: RateLimits
    let auth: Authenticator

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let (limiter, caller, kind) = try await bucket(request, context) else { return try await next(request, context) }
        let decision = limiter.take(caller)
        if !decision.allowed {
            let problem = decision.problem(limiter.policy, caller: kind)
            if request.uri.path.hasPrefix("/open311/") {
                return Open311Facade.errorResponse(
                    status: 429,
                    description: problem.detail ?? problem.title,
                    path: request.uri.path,
                    headers: problem.headers,
                    retryAfter: problem.retryAfter
                )
            }
            throw problem
        }
        var response = try await next(request, context)
        response.headers[.rateLimitPolicy] = limiter.policy.header
        response.headers[.rateLimit] = decision.header(limiter.policy)
        return response
    }

    func bucket(_ request: Request, _ context: Context) async throws -> (RateLimiter, String, String)? {
        let path = request.uri.path
        if path.hasPrefix("/health/") || path == "/metrics" { return nil }
        let isRead = request.method == .get || request.method == .head
        if let principal = context.principal {
            guard !isRead, principal.role == .client, let writes = limits.writes else { return nil }
            return (writes, "key:\(principal.keyID)", "key")
        }
        // Sign-in attempts (each a bcrypt hash) and password resets count per address like
        // tracking-token updates: password spraying, hash-flooding and email-bombing run into
        // the quota.
        if request.method == .post && (path == "/console/login" || path.hasPrefix(ConsoleRoutes.resetRoute)) {
            guard let tracking = limits.tracking else { return nil }
            return (tracking, "ip:" + limits.clientAddress(request, peer: context.peerAddress), "address")
        }
        if let endpoint = context.endpointPath, AccessRule.rule(method: request.method, path: endpoint) == .trackingToken {
            guard let tracking = limits.tracking else { return nil }
            return (tracking, "ip:" + limits.clientAddress(request, peer: context.peerAddress), "address")
        }
        guard isRead, let reads = limits.reads else { return nil }
        // A public read: staff keys (a back office reading a case's public page) are not
        // counted; anything else, a client key or a header that is not a valid key, is counted
        // by address, so inventing an Authorization header gains nothing.
        if RequestScope.current?.bearerToken != nil, let principal = try? await auth.optional(), principal.role != .client {
            return nil
        }
        return (reads, "ip:" + limits.clientAddress(request, peer: context.peerAddress), "address")
    }
}
