import Foundation

/// A GOV.UK Notify API key: `{key_name}-{service_id}-{secret_key}`, the service id and the
/// secret each a UUID. The name may itself hold hyphens, so both UUIDs are read from the end.
/// The secret signs each request's token and is never sent.
public struct NotifyAPIKey: Sendable, Equatable {
    public var name: String
    /// The token's issuer (`iss`).
    public var serviceID: String
    /// The HMAC key of the token's signature.
    public var secret: String

    /// Nil when `text` is not a Notify key.
    public init?(parsing text: String) {
        // 36 characters per UUID, a hyphen before each, and a name of at least one character.
        let uuidLength = 36
        guard text.count >= 2 * (uuidLength + 1) + 1 else { return nil }
        let secret = String(text.suffix(uuidLength))
        let rest = text.dropLast(uuidLength)
        guard rest.hasSuffix("-") else { return nil }
        let service = String(rest.dropLast().suffix(uuidLength))
        let nameAndHyphen = rest.dropLast().dropLast(uuidLength)
        guard nameAndHyphen.hasSuffix("-"), nameAndHyphen.count >= 2 else { return nil }
        guard UUID(uuidString: service) != nil, UUID(uuidString: secret) != nil else { return nil }
        self.name = String(nameAndHyphen.dropLast())
        // As written in the key: the secret's exact characters are the signing key.
        self.serviceID = service
        self.secret = secret
    }
}
