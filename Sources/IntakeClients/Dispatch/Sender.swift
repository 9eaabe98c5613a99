import AsyncHTTPClient
import Foundation
import IntakeCore
import NIOCore
import NIOHTTP1

/// Makes one delivery attempt over HTTP: a signed webhook POST, or the Open311 call the job
/// needs. Never throws: every failure becomes a `DeliveryResult` the queue records.
public struct Sender: Sendable {
    let client: HTTPClient
    let addressGuard: DestinationAddressGuard
    let userAgent = "CivicIntake-Dispatch/1"

    public init(client: HTTPClient, addressGuard: DestinationAddressGuard) {
        self.client = client
        self.addressGuard = addressGuard
    }

    /// A client for deliveries: no redirects (a moved endpoint must be reconfigured, not
    /// followed with a signed body), and as many connections per host as the worker can have
    /// calls in flight (`WORKER_LANES` × `WORKER_BATCH_SIZE`), so that two councils' back offices
    /// on one vendor's host never queue behind each other's hanging calls in the pool.
    public static func makeClient(connectionsPerHost: Int = 128) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(connectionsPerHost, 1)
        )
        configuration.timeout = .init(connect: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// One attempt to deliver `message` to `destination`. `open311Token` is the token an Open311
    /// server gave for this case's earlier creation, if any (the job keeps it).
    public func deliver(_ message: QueueMessage, to destination: Destination, open311Token: String?) async -> DeliveryResult {
        switch (destination.kind, message) {
        case (.webhook, _): return await webhook(message, to: destination)
        case (.open311, .caseEvent(let caseMessage)): return await open311(caseMessage, token: open311Token, to: destination)
        case (.open311, .payment):
            return DeliveryResult(statusCode: nil, error: "Open311 destinations do not take payments", durationMilliseconds: 0)
        case (.pull, _): return DeliveryResult(statusCode: nil, error: "pull queues are not pushed", durationMilliseconds: 0)
        case (.notify, _):
            return DeliveryResult(statusCode: nil, error: "the notification destination carries messages to people only", durationMilliseconds: 0)
        }
    }

    // MARK: Webhook

    func webhook(_ message: QueueMessage, to destination: Destination) async -> DeliveryResult {
        guard let url = destination.url else { return DeliveryResult(statusCode: nil, error: "no URL", durationMilliseconds: 0) }
        let body: [UInt8]
        do { body = try message.encoded() } catch {
            return DeliveryResult(statusCode: nil, error: "could not encode the message", durationMilliseconds: 0)
        }
        let id = message.messageID
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: WebhookSignature.header(id: id, timestamp: timestamp, body: body, secrets: destination.signingSecrets())
        )
        request.body = .bytes(ByteBuffer(bytes: body))
        return await send(request, timeout: destination.timeoutSeconds, parse: false)
    }

    // MARK: Open311

    func open311(_ message: CaseMessage, token: String?, to destination: Destination) async -> DeliveryResult {
        guard let endpoint = destination.url else {
            return DeliveryResult(statusCode: nil, error: "no URL", durationMilliseconds: 0)
        }
        let apiKey = destination.open311APIKey
        let jurisdiction = destination.open311Jurisdiction
        if message.type == "case.created" {
            if let token {
                // The server took the request and gave a token: resolve it, never POST again.
                let path = "tokens/\(Open311Outbound.escape(token)).xml" + Open311Outbound.tokenQuery(apiKey: apiKey, jurisdiction: jurisdiction)
                var request = HTTPClientRequest(url: Open311Outbound.url(endpoint, path))
                request.headers.add(name: "User-Agent", value: userAgent)
                var result = await send(request, timeout: destination.timeoutSeconds, parse: true)
                if result.isSuccess, result.answer?.serviceRequestID == nil {
                    result.answer = Open311Outbound.Answer(serviceRequestID: nil, token: token)
                }
                return result
            }
            let form = Open311Outbound.createForm(message, apiKey: apiKey, jurisdiction: jurisdiction)
            var result = await post(form, to: Open311Outbound.url(endpoint, "requests.xml"), timeout: destination.timeoutSeconds)
            if result.isSuccess, result.answer?.serviceRequestID == nil, result.answer?.token == nil {
                result.error = "the answer had neither a service_request_id nor a token"
            }
            return result
        }
        guard let serviceRequestID = message.case.externalReference else {
            return DeliveryResult(
                statusCode: nil,
                error: "the council's server has not given this case a service_request_id yet",
                durationMilliseconds: 0
            )
        }
        let form = Open311Outbound.updateForm(
            message,
            serviceRequestID: serviceRequestID,
            apiKey: apiKey,
            jurisdiction: jurisdiction
        )
        var result = await post(form, to: Open311Outbound.url(endpoint, "servicerequestupdates.xml"), timeout: destination.timeoutSeconds)
        result.answer = nil
        return result
    }

    func post(_ form: Open311Outbound.Form, to url: String, timeout: Int) async -> DeliveryResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "User-Agent", value: userAgent)
        request.body = .bytes(ByteBuffer(string: Open311Outbound.encode(form)))
        return await send(request, timeout: timeout, parse: true)
    }

    // MARK: -

    static let excerptLength = 500

    func send(_ request: HTTPClientRequest, timeout: Int, parse: Bool) async -> DeliveryResult {
        let started = ContinuousClock.now
        func elapsed() -> Int {
            let duration = ContinuousClock.now - started
            return Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        // Checked at every delivery, not only when saved: a name can resolve elsewhere later.
        if let problem = await addressGuard.problemOnConnect(request.url) {
            return DeliveryResult(statusCode: nil, error: "refused to connect: \(problem)", durationMilliseconds: elapsed())
        }
        do {
            let deadline = ContinuousClock.now + .seconds(timeout)
            let response = try await client.execute(request, timeout: .seconds(Int64(timeout)))
            let retryAfter = DeliveryResult.retryAfter(response.headers.first(name: "Retry-After"))
            // The client's timeout ends when the headers arrive: the body is read within what is
            // left of it, or a receiver that sends headers and then stalls would hold the call
            // (and its worker slot, and a graceful stop) for ever.
            let read = try await Self.within(deadline) { try await response.body.collect(upTo: 256 * 1024) }
            guard case .finished(let collected) = read else {
                return DeliveryResult(
                    statusCode: nil,
                    error: "no whole answer within \(timeout) s",
                    timedOut: true,
                    durationMilliseconds: elapsed()
                )
            }
            // An answer too big to read is still an answer; its status decides. PostgreSQL text
            // cannot hold NUL, so none reaches the attempt log.
            let text = collected.map { String(buffer: $0) }.map { $0.replacingOccurrences(of: "\u{0}", with: "") } ?? ""
            let answer = parse ? Open311Outbound.parseAnswer(text) : nil
            let excerpt = text.isEmpty ? nil : String(text.prefix(Self.excerptLength))
            return DeliveryResult(
                statusCode: Int(response.status.code),
                retryAfterSeconds: retryAfter,
                responseExcerpt: excerpt,
                durationMilliseconds: elapsed(),
                answer: answer
            )
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return DeliveryResult(
                statusCode: nil,
                error: "no answer within \(timeout) s",
                timedOut: true,
                durationMilliseconds: elapsed()
            )
        } catch {
            return DeliveryResult(statusCode: nil, error: Self.describe(error), durationMilliseconds: elapsed())
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error).replacingOccurrences(of: "\u{0}", with: "")
        return String(text.prefix(300))
    }

    enum Reading<T: Sendable>: Sendable {
        /// The value, or nil when reading failed (an answer too big, a dropped connection).
        case finished(T?)
        case outOfTime
    }

    /// Runs `work` until `deadline`; past it the work is cancelled.
    static func within<T: Sendable>(
        _ deadline: ContinuousClock.Instant,
        _ work: @escaping @Sendable () async throws -> T
    ) async throws
        -> Reading<T>
    {
        try await withThrowingTaskGroup(of: Reading<T>.self) { group in
            group.addTask { .finished(try? await work()) }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return .outOfTime
            }
            let first = try await group.next() ?? .outOfTime
            group.cancelAll()
            return first
        }
    }
}
