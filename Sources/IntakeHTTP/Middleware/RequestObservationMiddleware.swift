import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage
import Logging
import Metrics

/// The outermost middleware: gives the request an id, writes the one log line per request,
/// and records request metrics. Everything inside it, errors included, has become a response
/// by the time it sees the result.
struct RequestObservationMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let id = Self.requestID(from: request.headers[.xRequestID])
        var context = context
        context.requestID = id
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(id)
        let scope = RequestScope(
            requestID: id,
            logger: context.logger,
            bearerToken: Self.bearerToken(request.headers[.authorization]),
            idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!]
        )

        var response = try await RequestScope.$current.withValue(scope) {
            try await Database.$acquireBudget.withValue(AcquireBudget()) { try await next(request, context) }
        }
        response.headers[.xRequestID] = id
        for (name, value) in scope.responseHeaders.all {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }

        let elapsed = ContinuousClock.now - started
        let route = context.endpointPath ?? "unmatched"
        let status = response.status.code
        let dimensions = [("route", route), ("method", request.method.rawValue), ("status", String(status))]
        Counter(label: "http_requests_total", dimensions: dimensions).increment()
        Timer(label: "http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .recordNanoseconds(elapsed.nanoseconds)
        context.logger.log(
            level: status >= 500 ? .error : .info,
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                // The path only: query strings may carry coordinates or tokens.
                "path": .string(Self.loggable(path: request.uri.path)),
                "route": .string(route),
                "status": .stringConvertible(status),
                "duration_ms": .string(String(format: "%.2f", Double(elapsed.nanoseconds) / 1_000_000)),
            ]
        )
        return response
    }

    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Accepts the caller's id when it is short and plain (so it is safe in logs and headers);
    /// otherwise makes one.
    static func requestID(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ isAllowed($0) })
        {
            return header
        }
        return UUID().uuidString.lowercased()
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: ":"):
            true
        default: false
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension RequestObservationMiddleware {
    /// Links that act on their own token (a password reset, unsubscribe, alert confirmation)
    /// are logged without it: a log reader must not be able to follow them.
    static let tokenPaths = ["/console/password-reset/", "/v1/unsubscribe/", "/v1/alerts/confirm/"]

    /// A whole API key pasted into a path (`DELETE /v1/api-keys/ci_…_secret`) is logged as its
    /// prefix only, a link's token not at all.
    static func loggable(path: String) -> String {
        if let prefix = tokenPaths.first(where: { path.hasPrefix($0) && path.count > $0.count }) { return prefix + "…" }
        guard path.hasPrefix("/v1/api-keys/") else { return path }
        let last = String(path.dropFirst("/v1/api-keys/".count))
        guard let token = APIKeyToken(parsing: last) else { return path }
        return "/v1/api-keys/" + token.displayPrefix
    }
}
