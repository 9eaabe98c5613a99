import Foundation
import IntakeCore

/// A payment provider the service hands payers to. GOV.UK Pay in production; the built-in
/// sandbox for development, demos and tests. Both speak GOV.UK Pay's status vocabulary and its
/// webhook format, so everything after the provider call is one code path.
public protocol PaymentProvider: Sendable {
    var name: PaymentSettings.Provider { get }
    func create(_ request: ProviderPaymentRequest, account: ProviderAccount) async throws(ProviderError) -> ProviderPayment
    /// The authoritative state: read before acting on any webhook.
    func status(of reference: String, account: ProviderAccount) async throws(ProviderError) -> ProviderStatus
    /// True when this call cancelled it; false when it had already finished (the caller reads the state).
    func cancel(_ reference: String, account: ProviderAccount) async throws(ProviderError) -> Bool
}

/// The council's account at the provider.
public struct ProviderAccount: Sendable {
    public var councilID: UUID
    public var apiKey: String?
    public var webhookSecret: String

    public init(councilID: UUID, settings: PaymentSettings) {
        self.councilID = councilID
        self.apiKey = settings.providerAPIKey
        self.webhookSecret = settings.webhookSecret
    }
}

public struct ProviderPaymentRequest: Sendable, Equatable {
    public var intentID: UUID
    public var amountPence: Int64
    /// What the council sees at the provider: the account reference.
    public var reference: String
    public var description: String
    public var returnURL: String
    public var email: String?
    public var metadata: [String: PaymentIntent.MetadataValue]

    public init(
        intentID: UUID,
        amountPence: Int64,
        reference: String,
        description: String,
        returnURL: String,
        email: String?,
        metadata: [String: PaymentIntent.MetadataValue]
    ) {
        self.intentID = intentID
        self.amountPence = amountPence
        self.reference = reference
        self.description = description
        self.returnURL = returnURL
        self.email = email
        self.metadata = metadata
    }
}

public struct ProviderPayment: Sendable, Equatable {
    public var reference: String
    public var nextURL: String
    public var status: ProviderStatus

    public init(reference: String, nextURL: String, status: ProviderStatus) {
        self.reference = reference
        self.nextURL = nextURL
        self.status = status
    }
}

public enum ProviderError: Error, Sendable, Equatable {
    /// No answer, a timeout or a 5xx/429: try again later.
    case unavailable(String)
    /// The provider refused the request (4xx): its code and description.
    case rejected(status: Int, code: String?, description: String)
    /// The payment is unknown to the provider.
    case notFound

    public var summary: String {
        switch self {
        case .unavailable(let why): "provider unavailable: \(why)"
        case .rejected(let status, let code, let description): "provider refused (\(status) \(code ?? "")): \(description)"
        case .notFound: "payment unknown to the provider"
        }
    }
}

/// A provider webhook notification, in GOV.UK Pay's shape: only the event id (for
/// deduplication) and the payment's id are trusted; the state is read from the provider.
public struct ProviderWebhookEvent: Sendable, Equatable {
    public var eventID: String
    public var paymentReference: String
    public var eventType: String

    public init(eventID: String, paymentReference: String, eventType: String) {
        self.eventID = eventID
        self.paymentReference = paymentReference
        self.eventType = eventType
    }

    struct Wire: Codable {
        var webhook_message_id: String
        var resource_id: String
        var event_type: String
        var resource_type: String?
        var created_date: String?
        var api_version: Int?
    }

    public static func parse(_ body: [UInt8]) -> ProviderWebhookEvent? {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(body)), !wire.webhook_message_id.isEmpty,
            !wire.resource_id.isEmpty
        else { return nil }
        return ProviderWebhookEvent(eventID: wire.webhook_message_id, paymentReference: wire.resource_id, eventType: wire.event_type)
    }

    /// The body GOV.UK Pay would send (the sandbox sends the same).
    public func body(at date: Date = Date()) -> [UInt8] {
        let wire = Wire(
            webhook_message_id: eventID,
            resource_id: paymentReference,
            event_type: eventType,
            resource_type: "payment",
            created_date: date.formatted(.iso8601),
            api_version: 1
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(wire)) ?? Data())
    }
}
