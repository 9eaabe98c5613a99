import Foundation

/// The body of an alert webhook (to civic tech groups' endpoints), signed like deliveries to
/// back offices (Standard Webhooks). `type` is `alert.confirm`, `alert.new_report`,
/// `alert.report_updated` or `alert.digest`.
public struct AlertWebhook: Sendable, Equatable, Encodable {
    public struct Alert: Sendable, Equatable, Encodable {
        public var id: String
        public var kind: String
        public var description: String
    }

    public struct Report: Sendable, Equatable, Encodable {
        public var id: String
        public var reference: String
        public var category: String
        public var status: String
        public var address: String?
        public var url: String
    }

    public struct Event: Sendable, Equatable, Encodable {
        public var kind: String
        public var status: String?
        public var publicNote: String?
        public var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case kind, status
            case publicNote = "public_note"
            case createdAt = "created_at"
        }
    }

    public var type: String
    public var id: String
    public var alert: Alert?
    public var report: Report?
    public var event: Event?
    public var reports: [Report]?
    public var confirmURL: String?
    public var unsubscribeURL: String?

    enum CodingKeys: String, CodingKey {
        case type, id, alert, report, event, reports
        case confirmURL = "confirm_url"
        case unsubscribeURL = "unsubscribe_url"
    }

    public init(_ message: NotificationMessage) {
        switch message.message {
        case .alertConfirm: type = "alert.confirm"
        case .alertNewReport: type = "alert.new_report"
        case .alertDigest: type = "alert.digest"
        case .reportReceived, .acknowledged, .statusChanged, .closed: type = "alert.report_updated"
        // Only ever an email to the staff member (never queued as a webhook).
        case .staffPasswordReset: type = "staff.password_reset"
        }
        id = message.id.uuidString.lowercased()
        alert = message.alert.map { Alert(id: $0.id.uuidString.lowercased(), kind: $0.kind.rawValue, description: $0.describe()) }
        report = message.report.map(Self.report)
        event = message.event.map { Event(kind: $0.kind, status: $0.status?.rawValue, publicNote: $0.publicNote, createdAt: $0.createdAt) }
        reports = message.message == .alertDigest ? message.digest.map(Self.report) : nil
        confirmURL = message.confirmURL
        unsubscribeURL = message.unsubscribeURL
    }

    static func report(_ summary: NotificationMessage.ReportSummary) -> Report {
        Report(
            id: summary.id.uuidString.lowercased(),
            reference: summary.reference,
            category: summary.category,
            status: summary.status.rawValue,
            address: summary.address,
            url: summary.url
        )
    }

    public func encoded() throws -> [UInt8] { Array(try CaseMessage.encoder.encode(self)) }
}
