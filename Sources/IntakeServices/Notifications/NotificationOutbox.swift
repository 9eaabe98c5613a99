import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage

/// The worker's side of notifications: reads a batch of queued messages with their council's
/// Notify settings and links, and sends each one. The dispatcher leases, retries and records
/// them like any other job.
public struct NotificationOutbox: Sendable {
    let store: NotificationStore
    let settings: NotifySettingsStore
    let sender: NotificationSender
    let links: NotificationLinks

    /// One message as it will be sent.
    public struct Prepared: Sendable {
        var outgoing: NotificationStore.Outgoing
        var settings: NotifySettings?
        /// The council's settings could not be read (a sealed key that no longer opens): the
        /// message waits on the retry schedule for an operator to fix the key.
        var settingsError: String?
    }

    /// The messages of claimed jobs, by message id, with their councils' settings (read once
    /// per council per batch) and their links.
    public func prepare(_ ids: [UUID]) async throws -> [UUID: Prepared] {
        let found = try await store.outgoing(ids: ids)
        var settingsByCouncil: [UUID: Result<NotifySettings?, any Error>] = [:]
        var prepared: [UUID: Prepared] = [:]
        for (id, var outgoing) in found {
            let councilID = outgoing.message.council.id
            if outgoing.message.channel != .webhook && settingsByCouncil[councilID] == nil {
                do { settingsByCouncil[councilID] = .success(try await settings.find(councilID: councilID)) } catch {
                    settingsByCouncil[councilID] = .failure(error)
                }
            }
            outgoing.message.unsubscribeURL = links.unsubscribeURL(for: outgoing.message)
            if outgoing.message.message == .alertConfirm, let alert = outgoing.message.alert {
                outgoing.message.confirmURL = links.confirmURL(subscriptionID: alert.id)
            }
            if let reset = outgoing.message.staffReset {
                outgoing.message.resetURL = links.resetURL(resetID: reset.id)
                if outgoing.message.resetURL == nil && outgoing.skipReason == nil {
                    outgoing.skipReason = "no link can be made without SECRETS_KEY"
                }
            }
            var item = Prepared(outgoing: outgoing)
            switch settingsByCouncil[councilID] {
            case .success(let found): item.settings = found
            case .failure(let error): item.settingsError = "the council's Notify settings cannot be read: \(DatabaseErrors.summary(error))"
            case nil: break
            }
            prepared[id] = item
        }
        return prepared
    }

    /// One attempt, within `timeoutSeconds` (the notification destination's); a message that has
    /// gone (its report or subscription deleted) is skipped.
    public func send(_ prepared: Prepared?, timeoutSeconds: Int) async -> DeliveryResult {
        guard let prepared else {
            return DeliveryResult(statusCode: nil, durationMilliseconds: 0, skipReason: "the message no longer exists")
        }
        if let reason = prepared.outgoing.skipReason {
            return DeliveryResult(statusCode: nil, durationMilliseconds: 0, skipReason: reason)
        }
        if let error = prepared.settingsError { return DeliveryResult(statusCode: nil, error: error, durationMilliseconds: 0) }
        return await sender.send(
            prepared.outgoing.message,
            settings: prepared.settings,
            webhookURL: prepared.outgoing.message.alert?.webhookURL,
            webhookSecret: prepared.outgoing.webhookSecret,
            timeoutSeconds: timeoutSeconds
        )
    }
}

/// The links in messages: one-click unsubscribe, alert confirmation and console password resets, each a `LinkToken`
/// under `PUBLIC_BASE_URL`.
public struct NotificationLinks: Sendable {
    let keyring: SecretKeyring
    let baseURL: String

    public init(keyring: SecretKeyring, baseURL: String) {
        self.keyring = keyring
        self.baseURL = baseURL
    }

    func unsubscribeURL(for message: NotificationMessage) -> String? {
        let token: LinkToken
        switch message.audience {
        case .reporter:
            guard let report = message.report else { return nil }
            token = LinkToken(.unsubscribeReport, report.id)
        case .subscriber:
            guard let alert = message.alert else { return nil }
            token = LinkToken(.unsubscribeAlert, alert.id)
        case .staff:
            // An officer's own account's email: nothing to unsubscribe from.
            return nil
        }
        return token.encoded(with: keyring).map { "\(baseURL)/v1/unsubscribe/\($0)" }
    }

    func confirmURL(subscriptionID: UUID) -> String? {
        LinkToken(.confirmAlert, subscriptionID).encoded(with: keyring).map { "\(baseURL)/v1/alerts/confirm/\($0)" }
    }

    /// The console page that sets a new password, under the same base URL as the API.
    func resetURL(resetID: UUID) -> String? {
        LinkToken(.staffPasswordReset, resetID).encoded(with: keyring).map { "\(baseURL)/console/password-reset/\($0)" }
    }

    func decode(_ token: String) -> LinkToken? { LinkToken.decode(token, with: keyring) }
}
