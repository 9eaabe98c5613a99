import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Each council's GOV.UK Notify settings; the API key is sealed (`SecretKeyring`).
public struct NotifySettingsStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static let apiKeyPurpose = "council_notify_settings.api_key"
    static let callbackTokenPurpose = "council_notify_settings.callback_token"

    /// A stored key that no longer reads as a Notify key (it was checked when saved).
    public struct UnreadableKey: Error, Equatable {}

    public func find(councilID: UUID) async throws -> NotifySettings? {
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT api_key, templates::text AS templates, email_reply_to_id::text AS email_reply_to_id,
                       sms_sender_id::text AS sms_sender_id, channels, callback_token
                FROM council_notify_settings WHERE council_id = \(councilID)
                """,
                logger: logger
            )
            guard let row = try await rows.first(SettingsRow.self) else { return nil }
            guard let key = NotifyAPIKey(parsing: try secrets.open(row.apiKey, purpose: Self.apiKeyPurpose)) else { throw UnreadableKey() }
            let names = (try? JSONDecoder().decode([String: String].self, from: Data(row.templates.utf8))) ?? [:]
            var templates: [NotifySettings.Template: String] = [:]
            for (name, id) in names { if let template = NotifySettings.Template(rawValue: name) { templates[template] = id } }
            return NotifySettings(
                apiKey: key,
                templates: templates,
                emailReplyToID: row.emailReplyToID,
                smsSenderID: row.smsSenderID,
                channels: Set(row.channels.compactMap(NotifySettings.Channel.init(rawValue:))),
                callbackToken: try secrets.openIfPresent(row.callbackToken, purpose: Self.callbackTokenPurpose)
            )
        }
    }

    struct SettingsRow: RowDecodable {
        var apiKey: String
        var templates: String
        var emailReplyToID: String?
        var smsSenderID: String?
        var channels: [String]
        var callbackToken: String?

        init(columns: RowColumns) throws {
            apiKey = try columns("api_key")
            templates = try columns("templates")
            emailReplyToID = try columns("email_reply_to_id")
            smsSenderID = try columns("sms_sender_id")
            channels = try columns("channels")
            callbackToken = try columns("callback_token")
        }
    }

    public func put(councilID: UUID, _ settings: NotifySettings) async throws {
        let logger = self.logger
        let apiKey = try database.secrets.seal(settings.apiKey.text, purpose: Self.apiKeyPurpose)
        let callbackToken = try database.secrets.sealIfPresent(settings.callbackToken, purpose: Self.callbackTokenPurpose)
        let templates = String(
            decoding: try CaseMessage.encoder.encode(Dictionary(uniqueKeysWithValues: settings.templates.map { ($0.key.rawValue, $0.value) })),
            as: UTF8.self
        )
        let channels = NotifySettings.Channel.allCases.filter(settings.channels.contains).map(\.rawValue)
        try await database.withConnection { connection in
            _ = try await connection.query(
                """
                INSERT INTO council_notify_settings (council_id, api_key, templates, email_reply_to_id, sms_sender_id, channels,
                    callback_token)
                VALUES (\(councilID), \(apiKey), \(templates)::jsonb, \(settings.emailReplyToID)::uuid, \(settings.smsSenderID)::uuid,
                    \(channels), \(callbackToken))
                ON CONFLICT (council_id) DO UPDATE SET api_key = EXCLUDED.api_key, templates = EXCLUDED.templates,
                    email_reply_to_id = EXCLUDED.email_reply_to_id, sms_sender_id = EXCLUDED.sms_sender_id,
                    channels = EXCLUDED.channels, callback_token = EXCLUDED.callback_token, updated_at = now()
                """,
                logger: logger
            )
        }
    }
}
