import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A real local HTTP server standing in for a council's webhook endpoint or Open311 server.
/// It records every request and answers as the test's `respond` closure says.
public final class HTTPReceiver: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: String
        public var headers: [String: String]
        public var body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// An `application/x-www-form-urlencoded` body as (name, value) pairs, in order.
        public var form: [(String, String)] {
            text.split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }
        }

        public func formValue(_ name: String) -> String? { form.first { $0.0 == name }?.1 }
    }

    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var headers: [String: String]
        public var delay: Duration
        /// Sends the status and headers (promising a body), then waits this long before the body.
        public var stallAfterHeaders: Duration

        public init(
            status: Int = 200,
            body: String = "",
            headers: [String: String] = [:],
            delay: Duration = .zero,
            stallAfterHeaders: Duration = .zero
        ) {
            self.status = status
            self.body = body
            self.headers = headers
            self.delay = delay
            self.stallAfterHeaders = stallAfterHeaders
        }
    }

    public typealias Respond = @Sendable (Request, Int) -> Reply

    private let recorded = Mutex<[Request]>([])
    private let respond: Mutex<Respond>
    public let port: Int

    private let task: Task<Void, any Error>

    /// Starts on 127.0.0.1 with a free port; `respond` gets each request and how many came before it.
    public static func start(respond: @escaping Respond = { _, _ in Reply() }) async throws -> HTTPReceiver {
        let portBox = Box<Int>()
        let receiverBox = Box<HTTPReceiver>()
        let router = Router()
        for path in ["/", "**"] {
            router.on(RouterPath(path), method: .post) { request, context in try await Self.handle(request, context: context, receiverBox) }
            router.on(RouterPath(path), method: .get) { request, context in try await Self.handle(request, context: context, receiverBox) }
        }
        var logger = Logger(label: "test-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portBox.set(channel.localAddress?.port) },
            logger: logger
        )
        // No signal handlers: they would change how this test process (and the processes it
        // starts) treat SIGTERM and SIGINT.
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        let deadline = ContinuousClock.now + .seconds(10)
        while portBox.get() == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard let port = portBox.get() else { throw CancellationError() }
        let receiver = HTTPReceiver(port: port, task: task, respond: respond)
        receiverBox.set(receiver)
        return receiver
    }

    private init(port: Int, task: Task<Void, any Error>, respond: @escaping Respond) {
        self.port = port
        self.task = task
        self.respond = Mutex(respond)
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    public var requests: [Request] { recorded.withLock { $0 } }

    public func setResponder(_ respond: @escaping Respond) { self.respond.withLock { $0 = respond } }

    public func stop() async {
        await cancelAndSettle(task)
    }

    /// Waits until at least `count` requests have arrived (or the timeout passes).
    @discardableResult
    public func waitForRequests(_ count: Int, timeout: Duration = .seconds(15)) async -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while requests.count < count && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return requests
    }

    private static func handle(
        _ request: Hummingbird.Request,
        context: BasicRequestContext,
        _ box: Box<HTTPReceiver>
    )
        async throws -> Response
    {
        guard let receiver = box.get() else { return Response(status: .serviceUnavailable) }
        let body = try await request.body.collect(upTo: 10 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let recorded = Request(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query ?? "",
            headers: headers,
            body: Data(body.readableBytesView)
        )
        let index = receiver.recorded.withLock { requests in
            requests.append(recorded)
            return requests.count - 1
        }
        let reply = receiver.respond.withLock { $0 }(recorded, index)
        if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
        var fields = HTTPFields()
        for (name, value) in reply.headers { if let name = HTTPField.Name(name) { fields[name] = value } }
        if reply.stallAfterHeaders > .zero {
            let text = ByteBuffer(string: reply.body)
            return Response(
                status: .init(code: reply.status),
                headers: fields,
                body: .init(contentLength: text.readableBytes + 1) { writer in
                    try await writer.write(text)
                    try await Task.sleep(for: reply.stallAfterHeaders)
                    try await writer.write(ByteBuffer(string: "."))
                    try await writer.finish(nil)
                }
            )
        }
        return Response(
            status: .init(code: reply.status),
            headers: fields,
            body: .init(byteBuffer: ByteBuffer(string: reply.body))
        )
    }
}

final class Box<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)
    func get() -> T? { value.withLock { $0 } }
    func set(_ newValue: T?) { value.withLock { $0 = newValue } }
}

/// Verifies a webhook the way a receiver following standardwebhooks.com does, written from the
/// specification independently of the service's signer.
public enum StandardWebhooksVerifier {
    public enum Failure: Error, Equatable { case missingHeaders, staleTimestamp, noMatchingSignature }

    public static func verify(_ request: HTTPReceiver.Request, secret: String, now: Date = Date()) throws(Failure) {
        guard let id = request.headers["webhook-id"], let timestamp = request.headers["webhook-timestamp"],
            let signatures = request.headers["webhook-signature"], let seconds = Int(timestamp)
        else { throw .missingHeaders }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= 300 else { throw .staleTimestamp }
        let keyBytes = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) ?? Data()
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(request.body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: keyBytes))).base64EncodedString()
        let offered = signatures.split(separator: " ").compactMap { part -> String? in
            let pieces = part.split(separator: ",", maxSplits: 1)
            return pieces.count == 2 && pieces[0] == "v1" ? String(pieces[1]) : nil
        }
        guard offered.contains(expected) else { throw .noMatchingSignature }
    }
}
