import AsyncHTTPClient
import Crypto
import Foundation
import IntakeCore
import NIOCore
import NIOHTTP1

/// GOV.UK Notify's public API: an email or a text message from one of the council's templates.
///
/// Each request carries a new token (a JWT signed HS256 with the key's secret, `iss` the service
/// id, `iat` now), as Notify refuses tokens more than 30 seconds from its clock. Never throws:
/// every answer becomes a `NotifyOutcome` the outbox records (429 and 5xx to retry on the
/// schedule, 400 and 403 refused for good, with Notify's own error messages).
public struct GovUKNotify: Sendable {
    public static let defaultBaseURL = "https://api.notifications.service.gov.uk"
    let baseURL: String
    let client: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String = defaultBaseURL, client: HTTPClient = .shared, timeoutSeconds: Int64 = 10) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.timeout = .seconds(timeoutSeconds)
    }

    /// `POST /v2/notifications/email`.
    public struct Email: Sendable, Equatable, Encodable {
        public var emailAddress: String
        public var templateID: String
        public var personalisation: [String: PersonalisationValue]
        /// Ours, for matching delivery receipts: the message's id.
        public var reference: String?
        public var emailReplyToID: String?

        public init(
            emailAddress: String,
            templateID: String,
            personalisation: [String: PersonalisationValue],
            reference: String?,
            emailReplyToID: String? = nil
        ) {
            self.emailAddress = emailAddress
            self.templateID = templateID
            self.personalisation = personalisation
            self.reference = reference
            self.emailReplyToID = emailReplyToID
        }

        enum CodingKeys: String, CodingKey {
            case emailAddress = "email_address"
            case templateID = "template_id"
            case personalisation, reference
            case emailReplyToID = "email_reply_to_id"
        }
    }

    /// `POST /v2/notifications/sms`.
    public struct SMS: Sendable, Equatable, Encodable {
        public var phoneNumber: String
        public var templateID: String
        public var personalisation: [String: PersonalisationValue]
        public var reference: String?
        public var smsSenderID: String?

        public init(
            phoneNumber: String,
            templateID: String,
            personalisation: [String: PersonalisationValue],
            reference: String?,
            smsSenderID: String? = nil
        ) {
            self.phoneNumber = phoneNumber
            self.templateID = templateID
            self.personalisation = personalisation
            self.reference = reference
            self.smsSenderID = smsSenderID
        }

        enum CodingKeys: String, CodingKey {
            case phoneNumber = "phone_number"
            case templateID = "template_id"
            case personalisation, reference
            case smsSenderID = "sms_sender_id"
        }
    }

    /// `timeoutSeconds` bounds the whole call, the answer's body included (default: the client's).
    public func send(_ email: Email, key: NotifyAPIKey, timeoutSeconds: Int? = nil) async -> NotifyOutcome {
        await post("/v2/notifications/email", body: email, key: key, timeoutSeconds: timeoutSeconds)
    }

    public func send(_ sms: SMS, key: NotifyAPIKey, timeoutSeconds: Int? = nil) async -> NotifyOutcome {
        await post("/v2/notifications/sms", body: sms, key: key, timeoutSeconds: timeoutSeconds)
    }

    /// The bearer token for one request, made at `now`.
    public static func token(for key: NotifyAPIKey, now: Date = Date()) -> String {
        let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = base64URL(Data(#"{"iss":"\#(key.serviceID)","iat":\#(Int(now.timeIntervalSince1970))}"#.utf8))
        let signingInput = header + "." + claims
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(key.secret.utf8)))
        return signingInput + "." + base64URL(Data(signature))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func post(_ path: String, body: some Encodable, key: NotifyAPIKey, timeoutSeconds: Int? = nil) async -> NotifyOutcome {
        let encoded: Data
        do { encoded = try JSONEncoder().encode(body) } catch { return .refused(status: 0, errors: ["could not encode the message"]) }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(Self.token(for: key))")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CivicIntake-Notify/1")
        request.body = .bytes(ByteBuffer(bytes: encoded))
        do {
            let limit = timeoutSeconds.map { TimeAmount.seconds(Int64($0)) } ?? timeout
            let deadline = ContinuousClock.now + .nanoseconds(limit.nanoseconds)
            let response = try await client.execute(request, timeout: limit)
            // The client's timeout ends when the headers arrive: the body is read within what is
            // left, or an answer that stalls would hold the call past its lease and the message
            // would be sent again by the worker that takes it over.
            let read = try await Sender.within(deadline) { try await response.body.collect(upTo: 256 * 1024) }
            guard case .finished(let collected) = read else {
                // Notify answered (the status is in): a 201 stands even without its body.
                if response.status.code == 201 { return .sent(notificationID: "") }
                return .retryLater(reason: "GOV.UK Notify's answer did not arrive in full")
            }
            return Self.outcome(status: Int(response.status.code), body: Data((collected ?? ByteBuffer()).readableBytesView))
        } catch {
            return .retryLater(reason: "no answer from GOV.UK Notify: \(String(describing: error).prefix(200))")
        }
    }

    /// Notify's answer as an outcome: 201 with the notification's id; 429 and 5xx to retry; any
    /// other status refused, with the `errors[].message` Notify gave.
    static func outcome(status: Int, body: Data) -> NotifyOutcome {
        if status == 201 || status == 200 {
            struct Created: Decodable { var id: String }
            // Notify took the message: sending it again would send it twice, id or not.
            return .sent(notificationID: (try? JSONDecoder().decode(Created.self, from: body))?.id ?? "")
        }
        let messages = errorMessages(body)
        if status == 429 || status >= 500 {
            return .retryLater(reason: "GOV.UK Notify answered \(status)" + (messages.isEmpty ? "" : ": " + messages.joined(separator: "; ")))
        }
        return .refused(status: status, errors: messages.isEmpty ? ["HTTP \(status)"] : messages)
    }

    /// `{"status_code": N, "errors": [{"error": "BadRequestError", "message": "…"}]}` as
    /// "BadRequestError: …" lines.
    static func errorMessages(_ body: Data) -> [String] {
        struct Body: Decodable {
            struct Entry: Decodable {
                var error: String?
                var message: String?
            }
            var errors: [Entry]?
        }
        guard let parsed = try? JSONDecoder().decode(Body.self, from: body) else { return [] }
        return (parsed.errors ?? []).map { entry in
            [entry.error, entry.message].compactMap { $0 }.joined(separator: ": ")
        }
    }
}

/// What one request to Notify came to.
public enum NotifyOutcome: Sendable, Equatable {
    /// Notify took it; its id matches the delivery receipt.
    case sent(notificationID: String)
    /// Rate-limited, Notify down or unreachable: try again on the retry schedule.
    case retryLater(reason: String)
    /// Bad request or authentication error: retrying will not help.
    case refused(status: Int, errors: [String])
}
