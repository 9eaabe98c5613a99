import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices

/// A council's GOV.UK Notify settings: set and read by an admin or the council's back office.
/// The API key is write-only.
extension APIService {
    func getNotifySettings(_ input: Operations.GetNotifySettings.Input) async throws -> Operations.GetNotifySettings.Output {
        let council = try await staffCouncil(input.path.slug)
        guard let settings = try await app.notifications.settings(councilID: council.id) else {
            throw APIError.notFound("\(council.name) has no Notify settings: it sends no notifications yet.")
        }
        return .ok(.init(body: .json(.init(settings, council: council, baseURL: config.publicBaseURL))))
    }

    func putNotifySettings(_ input: Operations.PutNotifySettings.Input) async throws -> Operations.PutNotifySettings.Output {
        let council = try await staffCouncil(input.path.slug)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        var errors: [FieldError] = []
        // Read only for what the body leaves out. With a new key, stored settings that no longer
        // open (sealed under a key since dropped) are replaced, not an error: that is the repair.
        let stored: NotifySettings?
        if body.apiKey == nil {
            stored = try await app.notifications.settings(councilID: council.id)
        } else if body.callbackToken == nil {
            stored = (try? await app.notifications.settings(councilID: council.id)) ?? nil
        } else {
            stored = nil
        }
        var key: NotifyAPIKey?
        if let text = body.apiKey {
            key = text.unicodeScalars.count <= 300 ? NotifyAPIKey(parsing: text) : nil
            if key == nil {
                errors.append(
                    FieldError(
                        pointer: "/api_key",
                        detail: "is not a GOV.UK Notify API key ({key name}-{service id}-{secret})",
                        code: "invalid_api_key"
                    )
                )
            }
        } else {
            // Write-only: left out, the stored key stays.
            key = stored?.apiKey
            if key == nil {
                errors.append(FieldError(pointer: "/api_key", detail: "is required until a key is stored", code: "required"))
            }
        }
        let templates = Self.templates(body.templates)
        errors += NotifySettings.idProblems(
            templates: Dictionary(uniqueKeysWithValues: templates.map { ($0.key.rawValue, $0.value) }),
            emailReplyToID: body.emailReplyToId,
            smsSenderID: body.smsSenderId
        )
        if let token = body.callbackToken,
            !NotifySettings.callbackTokenLength.contains(token.unicodeScalars.count)
                || !token.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        {
            errors.append(
                FieldError(
                    pointer: "/callback_token",
                    detail: "must be 10–1000 printable ASCII characters without spaces",
                    code: "invalid_callback_token"
                )
            )
        }
        if let channels = body.channels, channels.count > 2 {
            errors.append(FieldError(pointer: "/channels", detail: "must list at most 2 channels", code: "invalid_length"))
        }
        guard errors.isEmpty, let key else { throw APIError.validation(errors) }
        let settings = NotifySettings(
            apiKey: key,
            templates: templates.mapValues { $0.lowercased() },
            emailReplyToID: body.emailReplyToId?.lowercased(),
            smsSenderID: body.smsSenderId?.lowercased(),
            channels: Set((body.channels ?? [.email]).compactMap { NotifySettings.Channel(rawValue: $0.rawValue) }),
            // Write-only, like the key: left out, the stored token stays.
            callbackToken: body.callbackToken ?? stored?.callbackToken
        )
        try await app.notifications.putSettings(councilID: council.id, settings)
        return .ok(.init(body: .json(.init(settings, council: council, baseURL: config.publicBaseURL))))
    }

    static func templates(_ wire: Components.Schemas.NotifyTemplates?) -> [NotifySettings.Template: String] {
        guard let wire else { return [:] }
        let pairs: [(NotifySettings.Template, String?)] = [
            (.reportReceived, wire.reportReceived), (.acknowledged, wire.acknowledged), (.statusChanged, wire.statusChanged),
            (.closed, wire.closed), (.alertConfirm, wire.alertConfirm), (.alertNewReport, wire.alertNewReport),
            (.alertDigest, wire.alertDigest), (.staffPasswordReset, wire.staffPasswordReset),
        ]
        var templates: [NotifySettings.Template: String] = [:]
        for (template, id) in pairs { if let id { templates[template] = id } }
        return templates
    }
}

extension Components.Schemas.NotifySettings {
    init(_ settings: NotifySettings, council: Council, baseURL: String) {
        let templates = settings.templates
        self.init(
            council: council.slug,
            apiKeySet: true,
            serviceId: settings.apiKey.serviceID,
            keyName: settings.apiKey.name,
            templates: .init(
                reportReceived: templates[.reportReceived],
                acknowledged: templates[.acknowledged],
                statusChanged: templates[.statusChanged],
                closed: templates[.closed],
                alertConfirm: templates[.alertConfirm],
                alertNewReport: templates[.alertNewReport],
                alertDigest: templates[.alertDigest],
                staffPasswordReset: templates[.staffPasswordReset]
            ),
            emailReplyToId: settings.emailReplyToID,
            smsSenderId: settings.smsSenderID,
            channels: NotifySettings.Channel.allCases.filter(settings.channels.contains).compactMap { .init(rawValue: $0.rawValue) },
            callbackTokenSet: settings.callbackToken != nil,
            deliveryReceiptUrl: "\(baseURL)/v1/notify-callbacks/\(council.slug)",
            receivedTextUrl: "\(baseURL)/v1/notify-callbacks/\(council.slug)/received-text"
        )
    }
}
