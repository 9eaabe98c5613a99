import Foundation

/// How one council takes payments: which provider account, the fund code its revenues system
/// posts council tax to, the largest amount it accepts and what its account references look like.
public struct PaymentSettings: Sendable, Equatable {
    public enum Provider: String, Sendable, CaseIterable, Codable {
        /// The built-in provider: our own pay-or-decline page, for development and demos.
        case sandbox
        case govukPay = "govuk_pay"
    }

    public static let defaultMaxAmountPence: Int64 = 10_000_000

    public var provider: Provider
    /// GOV.UK Pay API key (nil for the sandbox).
    public var providerAPIKey: String?
    /// Verifies the provider's webhooks (GOV.UK Pay shows it in its admin tool).
    public var webhookSecret: String
    public var fundCode: String
    public var maxAmountPence: Int64
    public var referenceRule: AccountReferenceRule

    public init(
        provider: Provider,
        providerAPIKey: String?,
        webhookSecret: String,
        fundCode: String,
        maxAmountPence: Int64,
        referenceRule: AccountReferenceRule
    ) {
        self.provider = provider
        self.providerAPIKey = providerAPIKey
        self.webhookSecret = webhookSecret
        self.fundCode = fundCode
        self.maxAmountPence = maxAmountPence
        self.referenceRule = referenceRule
    }

    /// Problems with settings an admin sends, with JSON pointers into the request.
    public func problems() -> [FieldError] {
        var errors: [FieldError] = []
        if provider == .govukPay, (providerAPIKey ?? "").isEmpty {
            errors.append(FieldError(pointer: "/api_key", detail: "is required for govuk_pay", code: "required"))
        }
        if webhookSecret.unicodeScalars.count < 16 {
            errors.append(
                FieldError(
                    pointer: "/webhook_secret",
                    detail: "must be at least 16 characters (required for govuk_pay)",
                    code: "required"
                )
            )
        }
        if fundCode.isEmpty || fundCode.count > 20 || !fundCode.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            errors.append(FieldError(pointer: "/fund_code", detail: "must be 1–20 letters, digits, - or _", code: "invalid"))
        }
        if !(1...Self.defaultMaxAmountPence).contains(maxAmountPence) {
            errors.append(FieldError(pointer: "/max_amount_pence", detail: "must be 1–10000000 pence", code: "out_of_range"))
        }
        errors += referenceRule.problems().map {
            FieldError(pointer: "/account_reference" + $0.pointer, detail: $0.detail, code: $0.code)
        }
        return errors
    }
}
