import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Each council's payment settings (one row per council that takes payments).
public struct PaymentSettingsStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func find(councilID: UUID) async throws -> PaymentSettings? {
        try await select("WHERE council_id = \(councilID)")[councilID]
    }

    /// Every council's settings in one query, for council listings. Their secrets are not
    /// opened (a listing never shows them): a set API key reads as "", the webhook secret as "".
    public func all() async throws -> [UUID: PaymentSettings] {
        try await select("", openSecrets: false)
    }

    /// Both secrets are stored sealed (`SecretKeyring`).
    static let apiKeyPurpose = "council_payment_settings.provider_api_key"
    public static let webhookSecretPurpose = "council_payment_settings.webhook_secret"

    func select(_ filter: PostgresQuery, openSecrets: Bool = true) async throws -> [UUID: PaymentSettings] {
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withConnection { connection in
            let query = PostgresQuery(
                unsafeSQL: """
                    SELECT council_id, provider, provider_api_key, webhook_secret, fund_code, max_amount_pence, reference_pattern,
                           reference_check, reference_description, reference_example
                    FROM council_payment_settings
                    """ + " " + filter.sql,
                binds: filter.binds
            )
            let rows = try await connection.query(query, logger: logger)
            var settings: [UUID: PaymentSettings] = [:]
            for row in try await rows.collect(SettingsRow.self) {
                settings[row.councilID] = PaymentSettings(
                    provider: PaymentSettings.Provider(rawValue: row.provider) ?? .sandbox,
                    providerAPIKey: openSecrets
                        ? try secrets.openIfPresent(row.providerAPIKey, purpose: Self.apiKeyPurpose) : row.providerAPIKey.map { _ in "" },
                    webhookSecret: openSecrets ? try secrets.open(row.webhookSecret, purpose: Self.webhookSecretPurpose) : "",
                    fundCode: row.fundCode,
                    maxAmountPence: row.maxAmountPence,
                    referenceRule: AccountReferenceRule(
                        pattern: row.referencePattern,
                        checkScheme: AccountReferenceRule.CheckScheme(rawValue: row.referenceCheck) ?? .none,
                        description: row.referenceDescription,
                        example: row.referenceExample
                    )
                )
            }
            return settings
        }
    }

    struct SettingsRow: RowDecodable {
        var councilID: UUID
        var provider: String
        var providerAPIKey: String?
        var webhookSecret: String
        var fundCode: String
        var maxAmountPence: Int64
        var referencePattern: String
        var referenceCheck: String
        var referenceDescription: String
        var referenceExample: String

        init(columns: RowColumns) throws {
            councilID = try columns("council_id")
            provider = try columns("provider")
            providerAPIKey = try columns("provider_api_key")
            webhookSecret = try columns("webhook_secret")
            fundCode = try columns("fund_code")
            maxAmountPence = try columns("max_amount_pence")
            referencePattern = try columns("reference_pattern")
            referenceCheck = try columns("reference_check")
            referenceDescription = try columns("reference_description")
            referenceExample = try columns("reference_example")
        }
    }

    public func put(councilID: UUID, _ settings: PaymentSettings) async throws {
        let logger = self.logger
        let rule = settings.referenceRule
        let apiKey = try database.secrets.sealIfPresent(settings.providerAPIKey, purpose: Self.apiKeyPurpose)
        let webhookSecret = try database.secrets.seal(settings.webhookSecret, purpose: Self.webhookSecretPurpose)
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                INSERT INTO council_payment_settings (council_id, provider, provider_api_key, webhook_secret, fund_code, max_amount_pence,
                    reference_pattern, reference_check, reference_description, reference_example)
                VALUES (\(councilID), \(settings.provider.rawValue), \(apiKey), \(webhookSecret),
                    \(settings.fundCode), \(settings.maxAmountPence), \(rule.pattern), \(rule.checkScheme.rawValue), \(rule.description),
                    \(rule.example))
                ON CONFLICT (council_id) DO UPDATE SET provider = EXCLUDED.provider, provider_api_key = EXCLUDED.provider_api_key,
                    webhook_secret = EXCLUDED.webhook_secret, fund_code = EXCLUDED.fund_code,
                    max_amount_pence = EXCLUDED.max_amount_pence, reference_pattern = EXCLUDED.reference_pattern,
                    reference_check = EXCLUDED.reference_check, reference_description = EXCLUDED.reference_description,
                    reference_example = EXCLUDED.reference_example, updated_at = now()
                """,
                logger: logger
            )
        }
    }
}
