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
    static let webhookSecretPurpose = "council_payment_settings.webhook_secret"

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
                binds: filter.binds)
            let rows = try await connection.query(query, logger: logger)
            var settings: [UUID: PaymentSettings] = [:]
            for try await row in rows.decode((UUID, String, String?, String, String, Int64, String, String, String, String).self) {
                settings[row.0] = PaymentSettings(
                    provider: PaymentSettings.Provider(rawValue: row.1) ?? .sandbox,
                    providerAPIKey: openSecrets ? try secrets.openIfPresent(row.2, purpose: Self.apiKeyPurpose) : row.2.map { _ in "" },
                    webhookSecret: openSecrets ? try secrets.open(row.3, purpose: Self.webhookSecretPurpose) : "",
                    fundCode: row.4, maxAmountPence: row.5,
                    referenceRule: AccountReferenceRule(
                        pattern: row.6, checkScheme: AccountReferenceRule.CheckScheme(rawValue: row.7) ?? .none, description: row.8,
                        example: row.9))
            }
            return settings
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
                """, logger: logger)
        }
    }
}
