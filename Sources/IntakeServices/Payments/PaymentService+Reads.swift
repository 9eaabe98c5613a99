import Foundation
import IntakeCore
import IntakeStorage

/// Payment intents and councils' payment settings as the API reads and writes them, and the
/// sandbox provider's own payments (its payer page).
extension PaymentService {
    public func create(_ intent: PaymentStore.NewIntent, actor: String) async throws -> UUID {
        try await intents.create(intent, actor: actor)
    }

    public func find(id: UUID) async throws -> PaymentIntent? { try await intents.find(id: id) }

    /// An intent's history, oldest first.
    public func events(_ id: UUID) async throws -> [PaymentStore.Event] { try await intents.events(id) }

    public func search(_ search: PaymentStore.Search) async throws -> [PaymentIntent] { try await intents.search(search) }

    /// The intents paid in `start..<end`, for the council's revenues team.
    public func reconciliation(councilID: UUID, start: Date, end: Date) async throws -> [Reconciliation.Line] {
        try await intents.reconciliation(councilID: councilID, start: start, end: end)
    }

    public func settings(councilID: UUID) async throws -> PaymentSettings? { try await settingsStore.find(councilID: councilID) }

    /// Every council's settings, by council id.
    public func allSettings() async throws -> [UUID: PaymentSettings] { try await settingsStore.all() }

    public func putSettings(councilID: UUID, _ settings: PaymentSettings) async throws {
        try await settingsStore.put(councilID: councilID, settings)
    }

    public func sandboxPayment(_ id: UUID) async throws -> SandboxPaymentStore.Payment? { try await sandboxPayments.find(id) }

    /// Records the payer's choice on the sandbox page; false when it was already made.
    public func finishSandboxPayment(_ id: UUID, status: String, failureCode: String?) async throws -> Bool {
        try await sandboxPayments.finish(id, status: status, failureCode: failureCode)
    }

    /// Forgets providers' webhook event ids older than the replay window (housekeeping).
    func pruneProviderEvents() async throws -> Int { try await intents.pruneProviderEvents() }
}
