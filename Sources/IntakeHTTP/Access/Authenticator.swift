import Foundation
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// Checks the caller's key for handlers that need one. A missing, malformed, unknown, revoked
/// or expired key is 401; a valid key of the wrong role is 403; a back-office key asking about
/// another council gets the same 404 as for a council that does not exist.
struct Authenticator: Sendable {
    let keys: KeyAuthentication

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

    /// The caller's principal when they sent a key; nil when they sent none. A key that is sent
    /// but does not check out is still a 401: silently ignoring it would hide the mistake.
    func optional() async throws -> Principal? {
        guard RequestScope.current?.bearerToken != nil else { return nil }
        return try await require(Set(Role.allCases))
    }

    /// An admin, or a back-office key of this council. `council` is looked up by the caller; a
    /// council that does not exist and one the key may not see answer alike.
    func requireCouncilStaff(of council: Council?, slug: String) async throws -> (Principal, Council) {
        let principal = try await require([.admin, .backoffice])
        guard let council, principal.role == .admin || principal.councilID == council.id else {
            throw APIError.councilNotFound(slug)
        }
        return (principal, council)
    }
}

extension APIError {
    static func councilNotFound(_ slug: String) -> APIError {
        .notFound("No council has the slug '\(slug)'.")
    }
}
