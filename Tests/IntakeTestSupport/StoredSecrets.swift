import IntakeStorage

/// Every secret column's raw text, as a reader of the database (or of a backup) sees it.
public enum StoredSecrets {
    public static func values(_ testDB: TestDatabase) async throws -> [String] {
        try await testDB.withDatabase(poolSize: 1) { database in
            var values: [String] = []
            for sql in [
                "SELECT string_agg(concat_ws('|', secret, previous_secret, open311_api_key), '|') FROM destinations",
                "SELECT string_agg(concat_ws('|', provider_api_key, webhook_secret), '|') FROM council_payment_settings",
                "SELECT string_agg(concat_ws('|', api_key, callback_token), '|') FROM council_notify_settings",
                "SELECT string_agg(webhook_secret, '|') FROM alert_subscriptions",
            ] {
                if let text = try await DispatchFixtures.scalar(database, sql, as: String?.self) ?? nil {
                    values += text.split(separator: "|").map(String.init)
                }
            }
            return values
        }
    }
}
