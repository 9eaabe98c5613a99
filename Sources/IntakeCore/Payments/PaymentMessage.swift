import Foundation

/// What a council's revenues destination receives for a paid intent (`PaymentMessage` in the
/// OpenAPI document): the posting key (fund code + account reference), the amount and the
/// provider's reference for matching against the provider's settlement.
public struct PaymentMessage: Codable, Sendable, Equatable {
    public struct Payment: Codable, Sendable, Equatable {
        public var id: String
        public var purpose: String
        public var fundCode: String
        public var accountReference: String
        public var amountPence: Int64
        public var provider: String
        public var providerReference: String?
        public var payerName: String?
        public var payerEmail: String?
        public var paidAt: Date?
        public var metadata: [String: PaymentIntent.MetadataValue]

        enum CodingKeys: String, CodingKey {
            case id, purpose, provider, metadata
            case fundCode = "fund_code"
            case accountReference = "account_reference"
            case amountPence = "amount"
            case providerReference = "provider_reference"
            case payerName = "payer_name"
            case payerEmail = "payer_email"
            case paidAt = "paid_at"
        }
    }

    public var messageID: String
    public var type: String
    public var timestamp: Date
    public var council: String
    public var payment: Payment

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case type, timestamp, council, payment
    }

    public init(messageID: UUID, type: String, intent: PaymentIntent) {
        self.messageID = messageID.uuidString.lowercased()
        self.type = type
        self.timestamp = intent.paidAt ?? intent.updatedAt
        self.council = intent.council.slug
        self.payment = Payment(
            id: intent.id.uuidString.lowercased(),
            purpose: intent.purpose.rawValue,
            fundCode: intent.fundCode,
            accountReference: intent.accountReference,
            amountPence: intent.amountPence,
            provider: intent.provider,
            providerReference: intent.providerReference,
            payerName: intent.payerName,
            payerEmail: intent.payerEmail,
            paidAt: intent.paidAt,
            metadata: intent.metadata
        )
    }
}
