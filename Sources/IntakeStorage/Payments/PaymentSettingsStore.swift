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
        let logger = self.logger
        return try await database.withConnection { connection in
            try await Self.find(councilID: councilID, on: connection, logger: logger)
        }
    }

    static func find(councilID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> PaymentSettings? {
        let rows = try await connection.query(
            """
            SELECT provider, provider_api_key, webhook_secret, fund_code, max_amount_pence, reference_pattern, reference_check,
                   reference_description, reference_example
            FROM council_payment_settings WHERE council_id = \(councilID)
            """, logger: logger)
        for try await row in rows.decode((String, String?, String, String, Int64, String, String, String, String).self) {
            return PaymentSettings(
                provider: PaymentSettings.Provider(rawValue: row.0) ?? .sandbox, providerAPIKey: row.1, webhookSecret: row.2,
                fundCode: row.3, maxAmountPence: row.4,
                referenceRule: AccountReferenceRule(
                    pattern: row.5, checkScheme: AccountReferenceRule.CheckScheme(rawValue: row.6) ?? .none, description: row.7,
                    example: row.8))
        }
        return nil
    }

    /// Every council's settings at once, for council listings.
    public func all() async throws -> [UUID: PaymentSettings] {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query("SELECT council_id FROM council_payment_settings", logger: logger)
            var ids: [UUID] = []
            for try await id in rows.decode(UUID.self) { ids.append(id) }
            var settings: [UUID: PaymentSettings] = [:]
            for id in ids { settings[id] = try await Self.find(councilID: id, on: connection, logger: logger) }
            return settings
        }
    }

    public func put(councilID: UUID, _ settings: PaymentSettings) async throws {
        let logger = self.logger
        let rule = settings.referenceRule
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                INSERT INTO council_payment_settings (council_id, provider, provider_api_key, webhook_secret, fund_code, max_amount_pence,
                    reference_pattern, reference_check, reference_description, reference_example)
                VALUES (\(councilID), \(settings.provider.rawValue), \(settings.providerAPIKey), \(settings.webhookSecret),
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
