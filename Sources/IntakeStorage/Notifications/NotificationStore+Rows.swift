import Foundation
import IntakeCore
import PostgresNIO

extension NotificationStore {
    /// A message-log row with its council, event and subscription, as `outgoing` selects it.
    struct OutgoingRow: RowDecodable {
        var id: UUID
        var audience: String
        var channel: String
        var message: String
        var address: String?
        var items: String?
        var councilID: UUID
        var councilSlug: String
        var councilName: String
        var councilTier: String
        var reportID: UUID?
        var eventID: Int64?
        var eventKind: String?
        var eventStatus: String?
        var publicNote: String?
        var eventAt: Date?
        var subscription: SubscriptionColumns?
        var webhookSecret: String?
        var settingsGap: String?
        var recipientGap: String?
        var staffReset: NotificationMessage.StaffReset?

        init(columns: RowColumns) throws {
            id = try columns("id")
            audience = try columns("audience")
            channel = try columns("channel")
            message = try columns("message")
            address = try columns("address")
            items = try columns("items")
            councilID = try columns("council_id")
            councilSlug = try columns("council_slug")
            councilName = try columns("council_name")
            councilTier = try columns("council_tier")
            reportID = try columns("report_id")
            eventID = try columns("event_id")
            eventKind = try columns("event_kind")
            eventStatus = try columns("event_status")
            publicNote = try columns("public_note")
            eventAt = try columns("event_at")
            webhookSecret = try columns("webhook_secret")
            settingsGap = try columns("settings_gap")
            recipientGap = try columns("recipient_gap")
            let resetID: UUID? = try columns("staff_reset_id")
            let resetExpiry: Date? = try columns("staff_reset_expires_at")
            let staffName: String? = try columns("staff_name")
            if let resetID, let resetExpiry, let staffName {
                staffReset = .init(id: resetID, name: staffName, expiresAt: resetExpiry)
            }
            let subscriptionID: UUID? = try columns("subscription_id")
            subscription = try subscriptionID.map { _ in try SubscriptionColumns(columns: columns) }
        }

        func message(reports: [UUID: NotificationMessage.ReportSummary], digest: [UUID]) throws -> NotificationMessage? {
            guard let audience = NotificationMessage.Audience(rawValue: audience),
                let channel = NotificationMessage.Channel(rawValue: channel),
                let template = NotifySettings.Template(rawValue: message)
            else { return nil }
            var event: NotificationMessage.EventSummary?
            if let eventID, let eventKind, let eventAt {
                event = .init(
                    id: eventID,
                    kind: eventKind,
                    status: eventStatus.flatMap(ReportStatus.init(rawValue:)),
                    publicNote: publicNote,
                    createdAt: eventAt
                )
            }
            return NotificationMessage(
                id: id,
                council: CouncilRef(id: councilID, slug: councilSlug, name: councilName, tier: Council.Tier(rawValue: councilTier) ?? .unitary),
                audience: audience,
                channel: channel,
                message: template,
                address: address,
                report: reportID.flatMap { reports[$0] },
                event: event,
                digest: digest.compactMap { reports[$0] },
                alert: subscription?.subscription,
                unsubscribeURL: nil,
                confirmURL: nil,
                staffReset: staffReset
            )
        }
    }

    /// The columns of an alert subscription and its target (aliased as `outgoing` and the
    /// subscription queries select them).
    struct SubscriptionColumns: RowDecodable {
        var subscription: AlertSubscription?

        init(columns: RowColumns) throws {
            let id: UUID = try columns("subscription_id")
            let kind: String = try columns("subscription_kind")
            let state: String = try columns("subscription_state")
            let frequency: String = try columns("frequency")
            let email: String? = try columns("subscription_email")
            let webhookURL: String? = try columns("webhook_url")
            let createdAt: Date = try columns("subscription_created_at")
            let confirmedAt: Date? = try columns("confirmed_at")
            let target: AlertSubscription.Target?
            switch AlertSubscription.Kind(rawValue: kind) {
            case .report:
                let reportID: UUID? = try columns("subscription_report_id")
                let reference: String? = try columns("subscription_report_reference")
                target = reportID.map { .report(id: $0, reference: reference ?? "") }
            case .area:
                let lat: Double? = try columns("centre_lat")
                let lon: Double? = try columns("centre_lon")
                let radius: Int? = try columns("radius_metres")
                if let lat, let lon, let radius { target = .area(LatLon(lat: lat, lon: lon), radiusMetres: radius) } else { target = nil }
            case .council:
                let councilID: UUID? = try columns("target_council_id")
                let slug: String? = try columns("target_council_slug")
                let name: String? = try columns("target_council_name")
                let tier: String? = try columns("target_council_tier")
                let code: String? = try columns("target_category_code")
                let categoryName: String? = try columns("target_category_name")
                if let councilID, let slug, let name {
                    let council = CouncilRef(id: councilID, slug: slug, name: name, tier: tier.flatMap(Council.Tier.init(rawValue:)) ?? .unitary)
                    target = .council(council, categoryCode: code, categoryName: categoryName)
                } else {
                    target = nil
                }
            case nil: target = nil
            }
            guard let target, let state = AlertSubscription.State(rawValue: state),
                let frequency = AlertSubscription.Frequency(rawValue: frequency)
            else {
                subscription = nil
                return
            }
            subscription = AlertSubscription(
                id: id,
                target: target,
                email: email,
                webhookURL: webhookURL,
                frequency: frequency,
                state: state,
                createdAt: createdAt,
                confirmedAt: confirmedAt
            )
        }
    }
}
