import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// The per-request context every route and middleware sees.
public struct IntakeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestObservationMiddleware` from `X-Request-Id` or generated.
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}

/// What generated OpenAPI handlers know about the request they serve. The OpenAPI transport
/// passes no Hummingbird context to handlers, so the observation middleware binds this task-local
/// around the rest of the chain.
public struct RequestScope: Sendable {
    public var requestID: String
    public var logger: Logger
    /// The `Authorization: Bearer` value, checked only by handlers that need a key.
    public var bearerToken: String?
    /// Headers a handler adds to its response verbatim. The generated server percent-encodes
    /// header values, which suits parameters but not `ETag` or `Cache-Control`.
    public var responseHeaders = ResponseHeaders()

    @TaskLocal public static var current: RequestScope?

    /// The current request's logger, or a quiet fallback outside a request.
    public static var logger: Logger {
        current?.logger ?? Logger(label: "civic-intake", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}

public final class ResponseHeaders: Sendable {
    private let fields = Mutex<[(String, String)]>([])

    public init() {}

    public func set(_ name: String, _ value: String) { fields.withLock { $0.append((name, value)) } }
    public var all: [(String, String)] { fields.withLock { $0 } }
}
