import Foundation

/// How a council tells people what happened, through its own GOV.UK Notify service: its API
/// key (sealed at rest, never shown), the Notify template for each kind of message, the reply-to
/// address and text sender to use, and the channels it sends on. A council without settings
/// sends nothing.
public struct NotifySettings: Sendable, Equatable {
    /// The messages this service sends, each from a template of the council's choosing.
    public enum Template: String, Sendable, CaseIterable {
        case reportReceived = "report_received"
        case acknowledged
        case statusChanged = "status_changed"
        case closed
        case alertConfirm = "alert_confirm"
        case alertNewReport = "alert_new_report"
        case alertDigest = "alert_digest"
        /// A console password reset link, to a staff member.
        case staffPasswordReset = "staff_password_reset"
    }

    public enum Channel: String, Sendable, CaseIterable {
        case email
        case sms
    }

    public var apiKey: NotifyAPIKey
    /// Template ids (UUIDs, lower case) by message; a message without one is not sent.
    public var templates: [Template: String]
    public var emailReplyToID: String?
    public var smsSenderID: String?
    public var channels: Set<Channel>
    /// The bearer token Notify's callbacks carry (set in Notify's API integration page); sealed
    /// at rest, never shown. Without one, callbacks are refused.
    public var callbackToken: String?

    public init(
        apiKey: NotifyAPIKey,
        templates: [Template: String],
        emailReplyToID: String?,
        smsSenderID: String?,
        channels: Set<Channel>,
        callbackToken: String? = nil
    ) {
        self.callbackToken = callbackToken
        self.apiKey = apiKey
        self.templates = templates
        self.emailReplyToID = emailReplyToID
        self.smsSenderID = smsSenderID
        self.channels = channels
    }

    /// Notify asks for a callback token of at least 10 characters.
    public static let callbackTokenLength = 10...1000

    /// Field errors for ids that are not UUIDs (the templates' pointers are `/templates/{name}`).
    public static func idProblems(templates: [String: String], emailReplyToID: String?, smsSenderID: String?) -> [FieldError] {
        var errors: [FieldError] = []
        for (name, id) in templates.sorted(by: { $0.key < $1.key }) where UUID(uuidString: id) == nil {
            errors.append(FieldError(pointer: "/templates/\(name)", detail: "is not a Notify template id (a UUID)", code: "invalid_id"))
        }
        if let id = emailReplyToID, UUID(uuidString: id) == nil {
            errors.append(FieldError(pointer: "/email_reply_to_id", detail: "is not a Notify reply-to id (a UUID)", code: "invalid_id"))
        }
        if let id = smsSenderID, UUID(uuidString: id) == nil {
            errors.append(FieldError(pointer: "/sms_sender_id", detail: "is not a Notify text sender id (a UUID)", code: "invalid_id"))
        }
        return errors
    }
}
