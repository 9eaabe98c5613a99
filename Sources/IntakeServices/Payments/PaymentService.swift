import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage
import Logging
import PostgresNIO

/// What happens to payment intents between the API and the providers: starting a payment,
/// bringing an intent up to date with its provider (webhooks and the expiry sweep), expiring
/// unpaid intents.
public struct PaymentService: Sendable {
    let intents: PaymentStore
    let settingsStore: PaymentSettingsStore
    let govukPay: GovUKPay
    let sandbox: SandboxProvider
    let sandboxPayments: SandboxPaymentStore
    /// How long a payer has before an unpaid intent expires.
    public let expiry: Duration
    let logger: Logger

    /// Built by `AppServices`.
    init(
        payments: PaymentStore,
        settings: PaymentSettingsStore,
        govukPay: GovUKPay,
        sandbox: SandboxProvider,
        sandboxPayments: SandboxPaymentStore,
        expiry: Duration,
        logger: Logger
    ) {
        self.intents = payments
        self.settingsStore = settings
        self.govukPay = govukPay
        self.sandbox = sandbox
        self.sandboxPayments = sandboxPayments
        self.expiry = expiry
        self.logger = logger
    }

    public func provider(_ name: PaymentSettings.Provider) -> any PaymentProvider {
        switch name {
        case .govukPay: govukPay
        case .sandbox: sandbox
        }
    }

    func provider(named name: String) -> (any PaymentProvider)? {
        PaymentSettings.Provider(rawValue: name).map(provider)
    }

    /// Creates the payment at the provider for an intent stored in `created`, then records the
    /// provider's reference and moves it to pending; `beforeCommit` runs in that transaction.
    /// When the provider refuses or cannot be reached the intent fails (with the reason in its
    /// history) and the error is thrown.
    public func start(
        _ intentID: UUID,
        councilID: UUID,
        request: ProviderPaymentRequest,
        settings: PaymentSettings,
        beforeCommit: @escaping @Sendable (PaymentIntent, PostgresConnection) async throws -> Void
    ) async throws -> PaymentIntent {
        let account = ProviderAccount(councilID: councilID, settings: settings)
        let created: ProviderPayment
        do {
            created = try await provider(settings.provider).create(request, account: account)
        } catch {
            _ = try? await intents.settle(intentID, to: .failed, actor: "system", reason: error.summary)
            throw error
        }
        guard
            let intent = try await intents.attachProvider(
                intentID,
                reference: created.reference,
                nextURL: created.nextURL,
                beforeCommit: beforeCommit
            )
        else { throw IntentVanished(id: intentID) }
        return intent
    }

    /// Reads the provider's authoritative state and moves the intent forward to match it.
    /// Never moves a finished intent; returns the intent as it now stands.
    @discardableResult
    public func refresh(_ intent: PaymentIntent, actor: String) async throws -> PaymentIntent {
        guard !intent.state.isSettled, let reference = intent.providerReference,
            let provider = provider(named: intent.provider),
            let settings = try await settingsStore.find(councilID: intent.council.id)
        else { return intent }
        let status = try await provider.status(of: reference, account: ProviderAccount(councilID: intent.council.id, settings: settings))
        if let target = status.settledState {
            _ = try await intents.settle(
                intent.id,
                to: target,
                failureCode: target == .succeeded ? nil : status.code,
                actor: actor,
                reason: "the provider reports \(status.status)\(status.code.map { " (\($0))" } ?? "")"
            )
        }
        return try await intents.find(id: intent.id) ?? intent
    }

    public enum WebhookOutcome: Sendable, Equatable {
        case applied(PaymentState)
        case duplicate
        case unknownPayment
    }

    public enum WebhookError: Error, Sendable, Equatable {
        case unknownCouncil
        case badSignature
        case malformed
    }

    /// A provider's webhook for one council: verified with the council's signing secret before
    /// anything is read, deduplicated by event id, then acted on only after reading the
    /// payment's state from the provider.
    public func handleWebhook(
        provider name: PaymentSettings.Provider,
        councilID: UUID,
        body: [UInt8],
        signature: String?
    ) async throws -> WebhookOutcome {
        guard let settings = try await settingsStore.find(councilID: councilID), settings.provider == name else {
            throw WebhookError.unknownCouncil
        }
        guard PaySignature.verify(body, signature: signature, secret: settings.webhookSecret) else { throw WebhookError.badSignature }
        guard let event = ProviderWebhookEvent.parse(body) else { throw WebhookError.malformed }
        guard let intent = try await intents.find(provider: name.rawValue, reference: event.paymentReference),
            intent.council.id == councilID
        else { return .unknownPayment }
        if try await intents.providerEventSeen(provider: name.rawValue, eventID: event.eventID) { return .duplicate }
        // Recorded only once handled: an event whose handling failed is handled on redelivery.
        // Concurrent deliveries of one event both read the provider; the guarded moves keep
        // the outcome single.
        let state = try await refresh(intent, actor: "provider").state
        try await intents.recordProviderEvent(provider: name.rawValue, eventID: event.eventID, intentID: intent.id)
        return .applied(state)
    }

    /// How many intents past their expiry one pass asks the provider about.
    public static let expiryBatch = 100

    /// Expires intents left unpaid past their time. The provider is asked first: a payment
    /// that succeeded at the last moment is paid, not expired; an open one is cancelled there
    /// (and read again, in case the payer finished in between).
    public func expireDue(limit: Int = expiryBatch) async throws -> Int {
        var expired = 0
        for intent in try await intents.pastExpiry(limit: limit) {
            do {
                if try await expire(intent) == .expired { expired += 1 }
            } catch {
                logger.warning(
                    "could not expire payment intent; will try again",
                    metadata: ["intent": "\(intent.id)", "error": "\(error)"]
                )
            }
        }
        return expired
    }

    func expire(_ intent: PaymentIntent) async throws -> PaymentState {
        let reason = "unpaid after \(expiry.components.seconds / 60) minutes"
        func expireNow() async throws -> PaymentState {
            let result = try await intents.settle(intent.id, to: .expired, failureCode: "P0020", actor: "system", reason: reason)
            return result.state ?? .expired
        }
        try await intents.markExpiryChecked(intent.id)
        guard let reference = intent.providerReference, let provider = provider(named: intent.provider),
            let settings = try await settingsStore.find(councilID: intent.council.id)
        else { return try await expireNow() }
        let account = ProviderAccount(councilID: intent.council.id, settings: settings)
        var status = ProviderStatus(status: "unknown", finished: false)
        var unknownThere = false
        do {
            status = try await provider.status(of: reference, account: account)
        } catch {
            guard error == .notFound else { throw error }
            unknownThere = true
        }
        // The provider has no such payment (never created there, or long purged): nothing to pay.
        if unknownThere { return try await expireNow() }
        if status.settledState == nil {
            let cancelled = try await provider.cancel(reference, account: account)
            status = try await provider.status(of: reference, account: account)
            if cancelled && status.settledState != .succeeded { return try await expireNow() }
        }
        // Whatever the provider says it finished as; still open there (a card payment under
        // way, a cancel it refused) waits for the next sweep rather than guessing.
        guard let target = status.settledState else { return intent.state }
        let result = try await intents.settle(
            intent.id,
            to: target,
            failureCode: target == .succeeded ? nil : status.code,
            actor: "system",
            reason: "the provider reports \(status.status)\(status.code.map { " (\($0))" } ?? "") (at expiry)"
        )
        return result.state ?? intent.state
    }
}

/// The intent a payment was started for is no longer there to attach the provider's reference
/// to (it was erased meanwhile): a fault, answered as one.
public struct IntentVanished: Error, Equatable {
    public var id: UUID
}
