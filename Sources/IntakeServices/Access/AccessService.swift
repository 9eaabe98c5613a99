import Foundation
import IntakeCore
import IntakeStorage

/// API keys: issuing, listing and revoking them. A change empties the process's key cache at
/// once (other processes hear of it through the database's notification).
public struct AccessService: Sendable {
    let keys: APIKeyStore
    let caches: ProcessCaches

    /// A key the caller may not have: the role and council do not go together, or the council
    /// does not exist.
    public enum KeyRefused: Error, Equatable {
        case councilRequired
        case councilNotAllowed
        case unknownCouncil(String)
    }

    public func list() async throws -> [APIKeyStore.Listed] { try await keys.list() }

    /// A new key; its secret is in the answer and nowhere else.
    public func create(role: Role, councilSlug: String?, label: String, expiresAt: Date?) async throws -> APIKeyStore.Created {
        // A back-office key belongs to one council; the others to none.
        if role == .backoffice && councilSlug == nil { throw KeyRefused.councilRequired }
        if role != .backoffice && councilSlug != nil { throw KeyRefused.councilNotAllowed }
        do {
            let created = try await keys.create(role: role, councilSlug: councilSlug, label: label, expiresAt: expiresAt)
            caches.changed("api_keys")
            return created
        } catch APIKeyStore.CreateError.unknownCouncil(let slug) {
            throw KeyRefused.unknownCouncil(slug)
        }
    }

    /// False when no live key has the prefix.
    public func revoke(prefix: String) async throws -> Bool {
        guard try await keys.revoke(prefix: prefix) else { return false }
        caches.changed("api_keys")
        return true
    }
}
