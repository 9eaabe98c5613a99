import Foundation
import IntakeAPI
import IntakeClients
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// A council's payment settings: set by an admin, read by the council's staff. Secrets are
/// write-only.
extension APIService {
    func getPaymentSettings(_ input: Operations.GetPaymentSettings.Input) async throws -> Operations.GetPaymentSettings.Output {
        let council = try await staffCouncil(input.path.slug)
        guard let settings = try await payments.settings(councilID: council.id) else {
            throw APIError.notFound("\(council.name) has no payment settings: it does not take payments yet.")
        }
        return .ok(.init(body: .json(.init(settings, council: council, baseURL: config.publicBaseURL))))
    }

    func putPaymentSettings(_ input: Operations.PutPaymentSettings.Input) async throws -> Operations.PutPaymentSettings.Output {
        _ = try await auth.require([.admin])
        let slug = input.path.slug
        guard let council = try await councils.find(slug: slug) else { throw APIError.councilNotFound(slug) }
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let existing = try await payments.settings(councilID: council.id)
        let provider = PaymentSettings.Provider(rawValue: body.provider.rawValue) ?? .sandbox
        let sameProvider = existing?.provider == provider
        // Secrets are write-only: leaving one out keeps the stored one (for the same provider).
        let apiKey = body.apiKey ?? (sameProvider ? existing?.providerAPIKey : nil)
        let given = body.webhookSecret.flatMap { $0.isEmpty ? nil : $0 }
        var secret = given ?? (sameProvider ? existing?.webhookSecret : nil)
        if provider == .sandbox, secret == nil { secret = Secrets.randomHex(bytes: 32) }
        let rule = body.accountReference
        let settings = PaymentSettings(
            provider: provider,
            providerAPIKey: provider == .govukPay ? apiKey : nil,
            webhookSecret: secret ?? "",
            fundCode: body.fundCode,
            maxAmountPence: body.maxAmountPence ?? PaymentSettings.defaultMaxAmountPence,
            referenceRule: AccountReferenceRule(
                pattern: rule.pattern,
                checkScheme: AccountReferenceRule.CheckScheme(rawValue: rule.checkCharacter?.rawValue ?? "none") ?? .none,
                description: rule.description,
                example: AccountReferenceRule.normalise(rule.example)
            )
        )
        let problems = settings.problems()
        if !problems.isEmpty { throw APIError.validation(problems) }
        try await payments.putSettings(councilID: council.id, settings)
        return .ok(.init(body: .json(.init(settings, council: council, baseURL: config.publicBaseURL))))
    }
}

extension Components.Schemas.PaymentSettings {
    init(_ settings: PaymentSettings, council: Council, baseURL: String) {
        self.init(
            council: council.slug,
            provider: .init(rawValue: settings.provider.rawValue)!,
            apiKeySet: settings.providerAPIKey != nil,
            webhookUrl: "\(baseURL)/v1/payment-webhooks/\(settings.provider.rawValue)/\(council.slug)",
            fundCode: settings.fundCode,
            maxAmountPence: settings.maxAmountPence,
            accountReference: .init(settings.referenceRule)
        )
    }
}

extension Components.Schemas.AccountReferenceRule {
    init(_ rule: AccountReferenceRule) {
        self.init(
            pattern: rule.pattern,
            checkCharacter: .init(rawValue: rule.checkScheme.rawValue),
            description: rule.description,
            example: rule.example
        )
    }
}
