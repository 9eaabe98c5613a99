import Foundation
import IntakeCore
import IntakeStorage

/// Telling people what happened: councils' GOV.UK Notify settings, alert subscriptions with
/// their double opt-in, one-click unsubscribe links, and Notify's callbacks (delivery receipts
/// and STOP). What is sent, and when, is queued by the database with each public event (see
/// `NotificationStore`); the worker sends it (`NotificationOutbox`).
public struct NotificationService: Sendable {
    let settingsStore: NotifySettingsStore
    let store: NotificationStore
    let reports: ReportStore
    let councils: CouncilStore
    let categories: CategoryStore
    let routing: RoutingStore
    let links: NotificationLinks
    let keyring: SecretKeyring

    public func settings(councilID: UUID) async throws -> NotifySettings? { try await settingsStore.find(councilID: councilID) }

    public func putSettings(councilID: UUID, _ settings: NotifySettings) async throws {
        try await settingsStore.put(councilID: councilID, settings)
    }

    // MARK: Alerts

    /// Why an alert cannot be made as asked.
    public enum AlertRefusal: Error, Equatable {
        case noSuchReport
        case noSuchCouncil
        case noSuchCategory
        /// No council covers the area's centre.
        case outsideCouncils
        /// Email alerts need the sending council's Notify settings with the confirmation template.
        case emailUnavailable(council: String)
        /// Webhook alerts need `SECRETS_KEY` to keep their signing secret.
        case secretsKeyMissing
    }

    /// The subscription as the asker may see it, and for a webhook its signing secret (shown
    /// once). An email alert asked again shows `pending` whatever its state, so asking cannot
    /// tell anyone whether an address already follows something.
    public struct Subscribed: Sendable {
        public var subscription: AlertSubscription
        public var webhookSecret: String?
    }

    /// Checks what the alert names, picks the council that sends its messages, and writes it
    /// pending with its confirmation queued (by email, or as a signed webhook carrying the link).
    public func subscribe(_ alert: NewAlert, clientKeyID: UUID?) async throws -> Subscribed {
        var reportID: UUID?
        var councilID: UUID?
        let sender: CouncilRef
        switch alert.kind {
        case .report:
            guard let id = alert.reportID, let (report, _) = try await reports.find(id: id) else { throw AlertRefusal.noSuchReport }
            reportID = id
            sender = report.council
        case .council:
            guard let slug = alert.council, let council = try await councils.find(slug: slug) else { throw AlertRefusal.noSuchCouncil }
            if let code = alert.category, try await categories.find(code: code, councilID: council.id) == nil {
                throw AlertRefusal.noSuchCategory
            }
            councilID = council.id
            sender = CouncilRef(id: council.id, slug: council.slug, name: council.name, tier: council.tier)
        case .area:
            let covering = try await routing.councilsCovering(LatLon(lat: alert.lat ?? 0, lon: alert.lon ?? 0))
            guard !covering.isEmpty else { throw AlertRefusal.outsideCouncils }
            // The most local council that sends email alerts (any, for a webhook).
            var chosen = covering[0]
            if alert.email != nil {
                for council in covering where try await sendsEmail(.alertConfirm, councilID: council.id) {
                    chosen = council
                    break
                }
            }
            sender = chosen
        }
        if alert.email != nil, !(try await sendsEmail(.alertConfirm, councilID: sender.id)) {
            throw AlertRefusal.emailUnavailable(council: sender.name)
        }
        var secret: String?
        if alert.webhookURL != nil {
            guard keyring.current != nil else { throw AlertRefusal.secretsKeyMissing }
            secret = WebhookSignature.generateSecret()
        }
        let (subscription, created, _) = try await store.subscribe(
            NotificationStore.NewSubscription(
                kind: alert.kind,
                reportID: reportID,
                councilID: councilID,
                categoryCode: alert.category,
                centre: alert.kind == .area ? LatLon(lat: alert.lat ?? 0, lon: alert.lon ?? 0) : nil,
                radiusMetres: alert.radiusMetres,
                senderCouncilID: sender.id,
                email: alert.email,
                webhookURL: alert.webhookURL,
                webhookSecret: secret,
                frequency: alert.frequency,
                // Webhooks are never merged: each asker gets a subscription and secret of its own
                // (another's secret must never be handed out).
                fingerprint: alert.fingerprint(senderCouncilID: sender.id)
                    + (secret.map { ":" + Secrets.sha256($0).prefix(8).map { String(format: "%02x", $0) }.joined() } ?? ""),
                clientKeyID: clientKeyID
            )
        )
        var shown = subscription
        if !created {
            shown.state = .pending
            shown.confirmedAt = nil
        }
        return Subscribed(subscription: shown, webhookSecret: secret)
    }

    func sendsEmail(_ template: NotifySettings.Template, councilID: UUID) async throws -> Bool {
        guard let settings = try? await settingsStore.find(councilID: councilID) else { return false }
        return settings.channels.contains(.email) && settings.templates[template] != nil
    }

    /// Activates the subscription a confirmation link names; nil for a link that is not one
    /// (or whose subscription has ended or gone).
    public func confirm(token: String) async throws -> AlertSubscription? {
        guard let token = links.decode(token), token.purpose == .confirmAlert else { return nil }
        return try await store.confirm(subscriptionID: token.subject)
    }

    /// What an unsubscribe link stopped.
    public enum Unsubscribed: Sendable, Equatable {
        case report(UUID)
        case alert(UUID)
    }

    /// Follows a one-click unsubscribe link; nil for a link that is not one, or whose report or
    /// subscription has gone. Opening it again changes nothing.
    public func unsubscribe(token: String) async throws -> Unsubscribed? {
        guard let token = links.decode(token) else { return nil }
        switch token.purpose {
        case .unsubscribeReport:
            return try await store.unsubscribeReporter(reportID: token.subject) ? .report(token.subject) : nil
        case .unsubscribeAlert:
            return try await store.unsubscribe(subscriptionID: token.subject) ? .alert(token.subject) : nil
        case .confirmAlert, .staffPasswordReset:
            return nil
        }
    }

    public func subscription(id: UUID) async throws -> AlertSubscription? { try await store.subscription(id: id) }

    /// Erases every alert of an email address now, with their messages. Returns how many.
    public func eraseSubscriber(email: String) async throws -> Int { try await store.eraseSubscriber(email: email) }

    // MARK: Notify's callbacks

    public enum CallbackRefusal: Error, Equatable {
        /// No such council, or it has no callback token: nothing is listening here.
        case notConfigured
        case badToken
        case malformed(String)
    }

    /// The council whose callback this is, when the bearer token is the one it set (compared in
    /// constant time). Checked before the body is read.
    public func authenticateCallback(councilSlug: String, bearer: String?) async throws -> UUID {
        guard let council = try await councils.find(slug: councilSlug),
            let settings = try await settingsStore.find(councilID: council.id),
            let expected = settings.callbackToken
        else { throw CallbackRefusal.notConfigured }
        guard let bearer, Secrets.constantTimeEquals(Array(bearer.utf8), Array(expected.utf8)) else { throw CallbackRefusal.badToken }
        return council.id
    }

    /// A delivery receipt: the message's state, and for a permanent failure no more messages
    /// to that address from this council. False when the council sent no such message.
    public func receipt(_ body: [UInt8], councilID: UUID) async throws -> Bool {
        let receipt: NotifyCallback.Receipt
        do { receipt = try NotifyCallback.receipt(from: body) } catch { throw CallbackRefusal.malformed(Self.describe(error)) }
        return try await store.record(receipt, councilID: councilID) != .unknownMessage
    }

    /// A text to the council's number: STOP (and its synonyms) ends texts to the sender.
    /// Returns whether it stopped them.
    public func receivedText(_ body: [UInt8], councilID: UUID) async throws -> Bool {
        let text: NotifyCallback.ReceivedText
        do { text = try NotifyCallback.receivedText(from: body) } catch { throw CallbackRefusal.malformed(Self.describe(error)) }
        guard NotifyCallback.isStop(text.message) else { return false }
        try await store.stopTexts(from: text.sourceNumber, councilID: councilID)
        return true
    }

    static func describe(_ error: NotifyCallback.Malformed) -> String {
        switch error {
        case .notJSON: "the body is not a JSON object"
        case .missing(let field): "\(field) is missing"
        case .invalid(let field): "\(field) is not valid"
        }
    }

    /// The message log of a report or subscription (tests and operators).
    public func log(reportID: UUID? = nil, subscriptionID: UUID? = nil) async throws -> [(id: UUID, message: String, state: String)] {
        try await store.states(reportID: reportID, subscriptionID: subscriptionID)
    }
}
