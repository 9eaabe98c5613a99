import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime
import Synchronization

/// Every route the service registers, kept so an unmatched method on a known path can answer
/// 405 with `Allow` rather than 404 (the router itself only knows "not found").
final class RouteTable: Sendable {
    private struct Route {
        var method: String
        var segments: [Substring]
    }

    private let routes = Mutex<[Route]>([])

    func add(method: HTTPRequest.Method, path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        routes.withLock { $0.append(Route(method: method.rawValue, segments: segments)) }
    }

    /// Methods registered for paths matching `path`, in a stable order.
    func allowedMethods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.withLock { routes in
            routes.filter { Self.matches($0.segments, parts) }.map(\.method)
        }
        return Array(Set(methods)).sorted()
    }

    private static func matches(_ template: [Substring], _ parts: [Substring]) -> Bool {
        guard template.count == parts.count else { return false }
        return zip(template, parts).allSatisfy { pattern, part in
            // `{id}`, `{id}.json` and `:id` capture; anything else must match exactly.
            if pattern.hasPrefix(":") { return !part.isEmpty }
            guard let open = pattern.firstIndex(of: "{"), let close = pattern.firstIndex(of: "}") else {
                return pattern == part
            }
            let prefix = pattern[..<open]
            let suffix = pattern[pattern.index(after: close)...]
            return part.count > prefix.count + suffix.count && part.hasPrefix(prefix) && part.hasSuffix(suffix)
        }
    }
}

/// Hands the generated server's routes to the router and records them in the route table.
struct RecordingTransport: ServerTransport {
    let router: Router<IntakeRequestContext>
    let routes: RouteTable

    func register(
        _ handler:
            @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
                HTTPResponse, HTTPBody?
            ),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        routes.add(method: method, path: path)
        // The transport hands every request a body, empty or not, which the generated server
        // would decode as (empty, so malformed) JSON. A request that sends neither a body nor a
        // Content-Type has no body: fine where the contract's body is optional (a queue receive),
        // "the request body is empty" where it is required.
        router.register(
            { request, body, metadata in
                let bodiless = request.headerFields[.contentType] == nil && (request.headerFields[.contentLength] ?? "0") == "0"
                return try await handler(request, bodiless ? nil : body, metadata)
            },
            method: method,
            path: path
        )
    }
}
