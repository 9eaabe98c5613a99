import Foundation
import IntakeCore
import IntakeStorage

/// Checks presented API keys against the process's copy of the keys table (one query per key
/// until it changes). The secret is compared with its stored hash in constant time on every call,
/// and the expiry against the clock, so neither depends on when the key was cached.
public struct KeyAuthentication: Sendable {
    let store: APIKeyStore
    let cache: ProcessCache<String, APIKeyStore.StoredKey?>
    let usage: KeyUsage

    public init(store: APIKeyStore, caches: ProcessCaches) {
        self.store = store
        self.cache = caches.keys
        self.usage = KeyUsage(store: store)
    }

    /// The key's principal; nil when the key is unknown, revoked, expired or its secret wrong.
    public func authenticate(_ token: APIKeyToken, now: Date = Date()) async throws -> Principal? {
        let stored = try await cache.value(for: token.prefix) { try await store.live(prefix: token.prefix) }
        guard let stored, token.matches(storedHash: stored.secretHash) else { return nil }
        if let expiresAt = stored.expiresAt, expiresAt <= now { return nil }
        usage.record(stored.id, at: now)
        return Principal(keyID: stored.id, keyPrefix: token.displayPrefix, role: stored.role, councilID: stored.councilID)
    }
}
