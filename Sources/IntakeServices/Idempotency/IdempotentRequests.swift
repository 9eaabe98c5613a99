import Foundation
import IntakeStorage

/// The Idempotency-Key sequence every keyed write follows (IETF draft-ietf-httpapi-idempotency-key-header):
/// claim the key; if an answer is stored, replay it; otherwise do the work (which records its
/// answer in its own transaction); if the work fails, release the claim so a corrected retry
/// may use the key again.
public struct IdempotentRequests: Sendable {
    let store: IdempotencyStore

    public init(store: IdempotencyStore) {
        self.store = store
    }

    /// Runs `work` at most once per scope; without a scope, just runs it. Throws
    /// `IdempotencyStore.Conflict` for a reused key or a first request still running.
    public func run<T: Sendable>(
        _ scope: IdempotencyStore.Scope?,
        replay: (_ status: Int, _ body: Data) throws -> T,
        _ work: () async throws -> T
    ) async throws -> T {
        guard let scope else { return try await work() }
        if case .replay(let status, let body) = try await store.claim(scope) { return try replay(status, body) }
        do {
            return try await work()
        } catch {
            try? await store.release(scope)
            throw error
        }
    }
}
