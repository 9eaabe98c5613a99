import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage

/// The built-in provider: its payer page is ours (`/sandbox/pay/{id}`), where a person pays or
/// declines. The choice is sent through the same signed webhook path GOV.UK Pay uses.
public struct SandboxProvider: PaymentProvider {
    public let name = PaymentSettings.Provider.sandbox
    let store: SandboxPaymentStore
    let baseURL: String

    public init(store: SandboxPaymentStore, baseURL: String) {
        self.store = store
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    public func create(_ request: ProviderPaymentRequest, account: ProviderAccount) async throws(ProviderError) -> ProviderPayment {
        do {
            let id = try await store.create(
                councilID: account.councilID,
                amountPence: request.amountPence,
                reference: request.reference,
                description: request.description,
                returnURL: request.returnURL
            )
            let reference = id.uuidString.lowercased()
            return ProviderPayment(
                reference: reference,
                nextURL: "\(baseURL)/sandbox/pay/\(reference)",
                status: ProviderStatus(status: "created", finished: false)
            )
        } catch {
            throw .unavailable("sandbox store: \(error)")
        }
    }

    public func status(of reference: String, account: ProviderAccount) async throws(ProviderError) -> ProviderStatus {
        guard let id = UUID(uuidString: reference) else { throw .notFound }
        let payment: SandboxPaymentStore.Payment?
        do { payment = try await store.find(id) } catch { throw .unavailable("sandbox store: \(error)") }
        guard let payment, payment.councilID == account.councilID else { throw .notFound }
        return ProviderStatus(status: payment.status, finished: payment.status != "created", code: payment.failureCode)
    }

    public func cancel(_ reference: String, account: ProviderAccount) async throws(ProviderError) -> Bool {
        guard let id = UUID(uuidString: reference) else { throw .notFound }
        do { return try await store.finish(id, status: "cancelled", failureCode: "P0040") } catch {
            throw .unavailable("sandbox store: \(error)")
        }
    }
}
