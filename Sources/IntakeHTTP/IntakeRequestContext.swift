import HTTPTypes
import Hummingbird
import IntakeCore
import Logging
import Synchronization

/// The per-request context every route and middleware sees.
public struct IntakeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `RequestObservationMiddleware` from `X-Request-Id` or generated.
    public var requestID: String = ""
    /// The caller's key, once `AccessGateMiddleware` has checked it (keyed routes only).
    public var principal: Principal?

    /// The connection's peer address (a proxy's, behind one: see `ClientAddress`).
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
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
    /// The `Idempotency-Key` as sent: the generated server percent-decodes header values, which
    /// would make `%41` the key `A` (and `%00` a NUL).
    public var idempotencyKey: String?
    /// Headers a handler adds to its response verbatim. The generated server percent-encodes
    /// header values, which suits parameters but not `ETag` or `Cache-Control`.
    public var responseHeaders = ResponseHeaders()
    /// What a handler adds to the request's audit entry (a new key's prefix, say).
    public var audit = AuditNotes()

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

/// Facts only the handler knows, for the audit entry of its request. Never a secret.
public final class AuditNotes: Sendable {
    private let notes = Mutex<[String: String]>([:])

    public init() {}

    public func note(_ name: String, _ value: String) { notes.withLock { $0[name] = value } }
    public var all: [String: String] { notes.withLock { $0 } }
}
