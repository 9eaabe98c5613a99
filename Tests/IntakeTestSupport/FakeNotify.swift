import Crypto
import Foundation
import Synchronization

/// A local stand-in for GOV.UK Notify's public API that checks what Notify checks: a bearer JWT
/// signed HS256 with the service's secret, `iss` the service id, `iat` within 30 s of now; and
/// each body against the API's schema (required fields, UUID template ids, string
/// personalisation, nothing else). It answers as Notify does: 201 with the notification, or
/// `{"status_code", "errors": [{"error", "message"}]}`.
public final class FakeNotify: Sendable {
    public static let serviceID = "26785a09-ab16-4eb0-8407-a37497a57506"
    public static let secret = "3d844edf-8d35-48ac-975b-e847b4f122b0"
    /// A key as a council pastes it (the name has hyphens of its own).
    public static let apiKey = "civic-intake-test-\(serviceID)-\(secret)"

    /// One notification Notify accepted.
    public struct Accepted: Sendable {
        public var id: String
        public var kind: String
        public var body: [String: any Sendable]
        public var token: String
        /// The request body as sent.
        public var raw: Data

        /// `personalisation` as sent: text values as strings, lists as arrays of strings.
        public var personalisation: [String: any Sendable] {
            guard let object = try? JSONSerialization.jsonObject(with: raw) as? [String: Any],
                let values = object["personalisation"] as? [String: Any]
            else { return [:] }
            return values.mapValues { value -> any Sendable in
                if let list = value as? [String] { return list }
                return value as? String ?? String(describing: value)
            }
        }

        public func text(_ name: String) -> String? { personalisation[name] as? String }
        public var reference: String? { body["reference"] as? String }
        public var templateID: String? { body["template_id"] as? String }
        public var recipient: String? { (body["email_address"] ?? body["phone_number"]) as? String }
    }

    public let receiver: HTTPReceiver
    private let accepted = Mutex<[Accepted]>([])
    /// While set, every request is answered with this status (and a Notify error body).
    public let failWith = Mutex<Int?>(nil)

    private init(receiver: HTTPReceiver) { self.receiver = receiver }

    public static func start() async throws -> FakeNotify {
        let receiver = try await HTTPReceiver.start()
        let fake = FakeNotify(receiver: receiver)
        receiver.setResponder { [fake] request, _ in fake.respond(request) }
        return fake
    }

    public var url: String { receiver.url }
    public var notifications: [Accepted] { accepted.withLock { $0 } }

    /// Waits up to `timeout` for at least `count` accepted notifications.
    public func waitFor(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [Accepted] {
        let deadline = ContinuousClock.now + timeout
        while notifications.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return notifications
    }
    public func stop() async { await receiver.stop() }

    func respond(_ request: HTTPReceiver.Request) -> HTTPReceiver.Reply {
        if let problem = Self.authProblem(request.headers["authorization"]) {
            return Self.error(403, "AuthError", problem)
        }
        if let status = failWith.withLock({ $0 }) {
            return Self.error(status, status == 429 ? "RateLimitError" : "Exception", "failing on purpose (\(status))")
        }
        let kind: String
        switch (request.method, request.path) {
        case ("POST", "/v2/notifications/email"): kind = "email"
        case ("POST", "/v2/notifications/sms"): kind = "sms"
        default: return Self.error(404, "ResourceNotFound", "no route \(request.method) \(request.path)")
        }
        guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] else {
            return Self.error(400, "BadRequestError", "body is not a JSON object")
        }
        if let problem = Self.schemaProblem(body, kind: kind) { return Self.error(400, "ValidationError", problem) }
        let id = UUID().uuidString.lowercased()
        let token = String(request.headers["authorization"]?.dropFirst("Bearer ".count) ?? "")
        let sendable = body.mapValues { value -> any Sendable in
            if let text = value as? String { return text }
            if let object = value as? [String: String] { return object }
            return String(describing: value)
        }
        accepted.withLock { $0.append(Accepted(id: id, kind: kind, body: sendable, token: token, raw: request.body)) }
        let reference = (body["reference"] as? String).map { "\"\($0)\"" } ?? "null"
        return HTTPReceiver.Reply(
            status: 201,
            body:
                #"{"id": "\#(id)", "reference": \#(reference), "content": {}, "uri": "\#(url)/v2/notifications/\#(id)", "template": {"id": "\#(body["template_id"] as? String ?? "")", "version": 1, "uri": ""}}"#,
            headers: ["Content-Type": "application/json"]
        )
    }

    /// Notify's token checks; nil when the token passes.
    public static func authProblem(_ header: String?) -> String? {
        guard let header, header.hasPrefix("Bearer ") else { return "Unauthorized: authentication token must be provided" }
        let parts = header.dropFirst("Bearer ".count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerJSON = decode(parts[0]), let claimsJSON = decode(parts[1]),
            let jwtHeader = try? JSONSerialization.jsonObject(with: headerJSON) as? [String: Any],
            let claims = try? JSONSerialization.jsonObject(with: claimsJSON) as? [String: Any]
        else { return "Invalid token: not a JWT" }
        guard jwtHeader["alg"] as? String == "HS256" else { return "Invalid token: algorithm must be HS256" }
        let expected = HMAC<SHA256>.authenticationCode(
            for: Data((parts[0] + "." + parts[1]).utf8),
            using: SymmetricKey(data: Data(secret.utf8))
        )
        guard let signature = decode(parts[2]), signature == Data(expected) else { return "Invalid token: signature" }
        guard claims["iss"] as? String == serviceID else { return "Invalid token: service id does not match" }
        guard let iat = claims["iat"] as? Int else { return "Invalid token: no iat" }
        guard abs(Double(iat) - Date().timeIntervalSince1970) <= 30 else { return "Error: Your system clock must be accurate to within 30 seconds" }
        return nil
    }

    /// The fields each endpoint takes, and nothing else.
    static func schemaProblem(_ body: [String: Any], kind: String) -> String? {
        let recipient = kind == "email" ? "email_address" : "phone_number"
        let sender = kind == "email" ? "email_reply_to_id" : "sms_sender_id"
        let allowed: Set<String> = [recipient, "template_id", "personalisation", "reference", sender]
        if let extra = body.keys.first(where: { !allowed.contains($0) }) { return "Additional properties are not allowed (\(extra) was unexpected)" }
        guard body[recipient] is String else { return "\(recipient) is a required property" }
        guard let template = body["template_id"] as? String, UUID(uuidString: template) != nil else { return "template_id is not a valid UUID" }
        if let personalisation = body["personalisation"] {
            guard let values = personalisation as? [String: Any] else { return "personalisation is not an object" }
            // Notify takes text (and numbers) or lists of them, which it shows as bullets.
            for (name, value) in values where !(value is String || value is [String] || value is NSNumber) {
                return "personalisation \(name) is not a string or a list"
            }
        }
        if let reference = body["reference"], !(reference is String) { return "reference is not a string" }
        if let id = body[sender], !((id as? String).map { UUID(uuidString: $0) != nil } ?? false) { return "\(sender) is not a valid UUID" }
        return nil
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    static func error(_ status: Int, _ error: String, _ message: String) -> HTTPReceiver.Reply {
        HTTPReceiver.Reply(
            status: status,
            body: #"{"status_code": \#(status), "errors": [{"error": "\#(error)", "message": "\#(message)"}]}"#,
            headers: ["Content-Type": "application/json"]
        )
    }
}
