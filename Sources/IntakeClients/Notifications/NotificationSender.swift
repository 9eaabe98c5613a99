import AsyncHTTPClient
import Foundation
import IntakeCore
import NIOCore
import NIOHTTP1

/// Sends one message to a person: an email or text through the council's GOV.UK Notify
/// service, or a signed alert webhook to a subscriber's endpoint (through the same address guard
/// as every delivery). Never throws: every outcome becomes a `DeliveryResult` the outbox records.
public struct NotificationSender: Sendable {
    let notify: GovUKNotify
    let webhooks: Sender

    /// Notify's calls share the worker's delivery client (its pool and connection limits).
    public init(notifyBaseURL: String, webhooks: Sender) {
        self.notify = GovUKNotify(baseURL: notifyBaseURL, client: webhooks.client)
        self.webhooks = webhooks
    }

    /// `timeoutSeconds` is the council's notification destination's: each call ends within it,
    /// inside the job's lease.
    public func send(
        _ message: NotificationMessage,
        settings: NotifySettings?,
        webhookURL: String?,
        webhookSecret: String?,
        timeoutSeconds: Int
    ) async -> DeliveryResult {
        switch message.channel {
        case .webhook: return await webhook(message, url: webhookURL, secret: webhookSecret, timeoutSeconds: timeoutSeconds)
        case .email, .sms: return await viaNotify(message, settings: settings, timeoutSeconds: timeoutSeconds)
        }
    }

    func viaNotify(_ message: NotificationMessage, settings: NotifySettings?, timeoutSeconds: Int) async -> DeliveryResult {
        guard let settings, let templateID = settings.templates[message.message], let address = message.address else {
            return DeliveryResult(statusCode: nil, durationMilliseconds: 0, skipReason: "nothing to send with")
        }
        let started = ContinuousClock.now
        let reference = message.id.uuidString.lowercased()
        let outcome: NotifyOutcome
        switch message.channel {
        case .email:
            outcome = await notify.send(
                GovUKNotify.Email(
                    emailAddress: address,
                    templateID: templateID,
                    personalisation: message.personalisation,
                    reference: reference,
                    emailReplyToID: settings.emailReplyToID
                ),
                key: settings.apiKey,
                timeoutSeconds: timeoutSeconds
            )
        default:
            outcome = await notify.send(
                GovUKNotify.SMS(
                    phoneNumber: address,
                    templateID: templateID,
                    personalisation: message.personalisation,
                    reference: reference,
                    smsSenderID: settings.smsSenderID
                ),
                key: settings.apiKey,
                timeoutSeconds: timeoutSeconds
            )
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        switch outcome {
        case .sent(let id):
            return DeliveryResult(statusCode: 201, durationMilliseconds: milliseconds, providerID: id.isEmpty ? nil : id)
        case .retryLater(let reason):
            return DeliveryResult(statusCode: nil, error: reason, durationMilliseconds: milliseconds)
        case .refused(let status, let errors):
            return DeliveryResult(
                statusCode: status,
                error: "GOV.UK Notify refused the message: " + errors.joined(separator: "; "),
                durationMilliseconds: milliseconds,
                refused: true
            )
        }
    }

    func webhook(_ message: NotificationMessage, url: String?, secret: String?, timeoutSeconds: Int) async -> DeliveryResult {
        guard let url, let secret else {
            return DeliveryResult(statusCode: nil, durationMilliseconds: 0, skipReason: "the subscription has no endpoint")
        }
        let body: [UInt8]
        do { body = try AlertWebhook(message).encoded() } catch {
            return DeliveryResult(statusCode: nil, error: "could not encode the message", durationMilliseconds: 0)
        }
        let id = message.id.uuidString.lowercased()
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CivicIntake-Alerts/1")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: WebhookSignature.header(id: id, timestamp: timestamp, body: body, secrets: [secret]))
        request.body = .bytes(ByteBuffer(bytes: body))
        var result = await webhooks.send(request, timeout: timeoutSeconds, parse: false)
        // 410: the subscriber has gone; the subscription ends (the outbox records it), and the
        // council's notification lane is not disabled as a back office's destination would be.
        if result.statusCode == 410 { result.skipReason = "the subscriber's endpoint answered 410 Gone: unsubscribed" }
        return result
    }
}
