import Foundation

/// One message the worker sends: a row of the message log with what it is about, read when it
/// is sent (so a report's latest reference and category are used, and an address erased since
/// it was queued is not written to).
public struct NotificationMessage: Sendable, Equatable {
    public enum Channel: String, Sendable, CaseIterable {
        case email, sms, webhook
    }

    public enum Audience: String, Sendable {
        case reporter, subscriber, staff
    }

    /// A console password reset: whose, and until when its link works.
    public struct StaffReset: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var expiresAt: Date

        public init(id: UUID, name: String, expiresAt: Date) {
            self.id = id
            self.name = name
            self.expiresAt = expiresAt
        }
    }

    /// A report as a message names it: nothing of its reporter.
    public struct ReportSummary: Sendable, Equatable {
        public var id: UUID
        public var reference: String
        public var category: String
        public var status: ReportStatus
        public var address: String?
        public var url: String

        public init(id: UUID, reference: String, category: String, status: ReportStatus, address: String?, url: String) {
            self.id = id
            self.reference = reference
            self.category = category
            self.status = status
            self.address = address
            self.url = url
        }
    }

    /// The timeline event a message tells of (its public part).
    public struct EventSummary: Sendable, Equatable {
        public var id: Int64
        public var kind: String
        public var status: ReportStatus?
        public var publicNote: String?
        public var createdAt: Date

        public init(id: Int64, kind: String, status: ReportStatus?, publicNote: String?, createdAt: Date) {
            self.id = id
            self.kind = kind
            self.status = status
            self.publicNote = publicNote
            self.createdAt = createdAt
        }
    }

    public var id: UUID
    public var council: CouncilRef
    public var audience: Audience
    public var channel: Channel
    public var message: NotifySettings.Template
    /// Email address or phone number; nil for webhooks, and once erased.
    public var address: String?
    public var report: ReportSummary?
    public var event: EventSummary?
    /// A digest's reports, oldest first, each with what happened (the latest event per report).
    public var digest: [ReportSummary]
    public var alert: AlertSubscription?
    /// Where the recipient stops these messages (no key needed).
    public var unsubscribeURL: String?
    /// Where a new subscriber confirms (alert_confirm).
    public var confirmURL: String?
    /// A staff member's password reset (staff_password_reset) and the link that does it.
    public var staffReset: StaffReset?
    public var resetURL: String?

    public init(
        id: UUID,
        council: CouncilRef,
        audience: Audience,
        channel: Channel,
        message: NotifySettings.Template,
        address: String?,
        report: ReportSummary?,
        event: EventSummary?,
        digest: [ReportSummary],
        alert: AlertSubscription?,
        unsubscribeURL: String?,
        confirmURL: String?,
        staffReset: StaffReset? = nil
    ) {
        self.staffReset = staffReset
        self.id = id
        self.council = council
        self.audience = audience
        self.channel = channel
        self.message = message
        self.address = address
        self.report = report
        self.event = event
        self.digest = digest
        self.alert = alert
        self.unsubscribeURL = unsubscribeURL
        self.confirmURL = confirmURL
    }

    /// A status as people read it: "in progress", "not council's responsibility".
    public static func label(_ status: ReportStatus) -> String {
        switch status {
        case .notCouncilsResponsibility: "not the council's responsibility"
        default: status.rawValue.replacingOccurrences(of: "_", with: " ")
        }
    }

    /// The values a council's Notify template may use, by message (README lists them). Every
    /// message has `council`; those about a report have `reference`, `category`, `status`,
    /// `address`, `report_url` and `public_note` (empty when there is none); emails have
    /// `unsubscribe_url`; alerts have `alert`, a sentence saying what the subscription follows.
    /// A staff password reset has `name`, `reset_url` and `expires` (London time, "2:05pm on
    /// 7 December 2026"), and nothing of any report.
    public var personalisation: [String: PersonalisationValue] {
        var values: [String: PersonalisationValue] = ["council": .text(council.name)]
        if let report {
            values["reference"] = .text(report.reference)
            values["category"] = .text(report.category)
            values["status"] = .text(Self.label(event?.status ?? report.status))
            values["address"] = .text(report.address ?? "")
            values["report_url"] = .text(report.url)
        }
        if let staffReset {
            values["name"] = .text(staffReset.name)
            values["expires"] = .text(Self.londonTime(staffReset.expiresAt))
            values["reset_url"] = .text(resetURL ?? "")
            return values
        }
        if message != .alertDigest && message != .alertConfirm {
            values["public_note"] = .text(event?.publicNote ?? "")
        }
        if let alert { values["alert"] = .text(alert.describe()) }
        if let unsubscribeURL, channel == .email { values["unsubscribe_url"] = .text(unsubscribeURL) }
        if let confirmURL { values["confirm_url"] = .text(confirmURL) }
        if message == .alertDigest {
            values["count"] = .text(String(digest.count))
            values["reports"] = .list(digest.map { "\($0.reference): \($0.category), \(Self.label($0.status)) \($0.url)" })
        }
        return values
    }
}

/// A Notify personalisation value: text, or a list Notify shows as bullets.
public enum PersonalisationValue: Sendable, Equatable, Encodable {
    case text(String)
    case list([String])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .list(let items): try container.encode(items)
        }
    }
}

extension PersonalisationValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension NotificationMessage {
    /// A time as GOV.UK writes one, in London: "2:05pm on 7 December 2026".
    public static func londonTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "Europe/London") ?? TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "h:mma 'on' d MMMM yyyy"
        formatter.amSymbol = "am"
        formatter.pmSymbol = "pm"
        return formatter.string(from: date)
    }
}
