import Foundation

/// A request to pay a council: what the payer owes, to whom, and where it has got to.
/// Money is integer pence everywhere.
public struct PaymentIntent: Sendable, Equatable {
    public enum Purpose: String, Sendable, CaseIterable, Codable {
        case councilTax = "council_tax"
    }

    public var id: UUID
    public var council: CouncilRef
    public var purpose: Purpose
    public var accountReference: String
    public var fundCode: String
    public var amountPence: Int64
    public var description: String
    public var state: PaymentState
    public var payerName: String?
    public var payerEmail: String?
    public var returnURL: String
    public var metadata: [String: MetadataValue]
    public var provider: String
    public var providerReference: String?
    public var nextURL: String?
    public var failureCode: String?
    public var clientKeyID: UUID?
    public var expiresAt: Date
    public var paidAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID,
        council: CouncilRef,
        purpose: Purpose,
        accountReference: String,
        fundCode: String,
        amountPence: Int64,
        description: String,
        state: PaymentState,
        payerName: String?,
        payerEmail: String?,
        returnURL: String,
        metadata: [String: MetadataValue],
        provider: String,
        providerReference: String?,
        nextURL: String?,
        failureCode: String?,
        clientKeyID: UUID?,
        expiresAt: Date,
        paidAt: Date?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.council = council
        self.purpose = purpose
        self.accountReference = accountReference
        self.fundCode = fundCode
        self.amountPence = amountPence
        self.description = description
        self.state = state
        self.payerName = payerName
        self.payerEmail = payerEmail
        self.returnURL = returnURL
        self.metadata = metadata
        self.provider = provider
        self.providerReference = providerReference
        self.nextURL = nextURL
        self.failureCode = failureCode
        self.clientKeyID = clientKeyID
        self.expiresAt = expiresAt
        self.paidAt = paidAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The council an intent belongs to, as messages and reads name it.
    public struct CouncilRef: Sendable, Equatable {
        public var id: UUID
        public var slug: String
        public var name: String

        public init(id: UUID, slug: String, name: String) {
            self.id = id
            self.slug = slug
            self.name = name
        }
    }

    /// A metadata value as GOV.UK Pay allows it: text (≤ 100 characters), a number or true/false.
    public enum MetadataValue: Sendable, Equatable, Codable {
        case text(String)
        case number(Double)
        case bool(Bool)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        /// The value as JSON has it: whole numbers stay whole (an instalment number is 3, not 3.0).
        public var jsonValue: any Sendable {
            switch self {
            case .text(let text): text
            case .number(let number): number == number.rounded() && abs(number) < 1e15 ? Int(number) : number
            case .bool(let bool): bool
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch jsonValue {
            case let whole as Int: try container.encode(whole)
            case let number as Double: try container.encode(number)
            case let bool as Bool: try container.encode(bool)
            case let text as String: try container.encode(text)
            default: break
            }
        }
    }
}

/// What a client asks for; checked by `PaymentRules` before anything is stored.
public struct NewPaymentIntent: Sendable, Equatable {
    public var councilSlug: String
    public var purpose: PaymentIntent.Purpose
    public var accountReference: String
    public var amountPence: Int64
    public var payerName: String?
    public var payerEmail: String?
    public var returnURL: String
    public var metadata: [String: PaymentIntent.MetadataValue]

    public init(
        councilSlug: String,
        purpose: PaymentIntent.Purpose,
        accountReference: String,
        amountPence: Int64,
        payerName: String?,
        payerEmail: String?,
        returnURL: String,
        metadata: [String: PaymentIntent.MetadataValue]
    ) {
        self.councilSlug = councilSlug
        self.purpose = purpose
        self.accountReference = accountReference
        self.amountPence = amountPence
        self.payerName = payerName
        self.payerEmail = payerEmail
        self.returnURL = returnURL
        self.metadata = metadata
    }
}
