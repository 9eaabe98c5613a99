import IntakeCore
import IntakeStorage

/// Checks the caller's key for handlers that need one. A missing, malformed, unknown, revoked
/// or expired key is 401; a valid key of the wrong role is 403.
struct Authenticator: Sendable {
    let keys: APIKeyStore

    func require(_ roles: Set<Role>) async throws -> Principal {
        guard let presented = RequestScope.current?.bearerToken else {
            throw APIError.unauthorized("An API key is required: send `Authorization: Bearer <key>`.")
        }
        guard let token = APIKeyToken(parsing: presented), let principal = try await keys.authenticate(token) else {
            throw APIError.unauthorized("The API key is unknown, revoked or expired.")
        }
        guard roles.contains(principal.role) else {
            let needed = roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw APIError.forbidden("This needs a key with the \(needed) role; this key is \(principal.role.rawValue).")
        }
        return principal
    }
}
