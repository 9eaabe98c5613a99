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

    /// The key as Notify shows it.
    public var text: String { "\(name)-\(serviceID)-\(secret)" }

    /// Nil when `text` is not a Notify key. Read in code points, as the contract's pattern is.
    public init?(parsing text: String) {
        let scalars = Array(text.unicodeScalars)
        let uuidLength = 36
        // A name of at least one code point, then "-{uuid}-{uuid}".
        guard scalars.count >= 2 * (uuidLength + 1) + 1 else { return nil }
        func string(_ slice: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(slice)) }
        let secret = string(scalars.suffix(uuidLength))
        let serviceEnd = scalars.count - uuidLength - 1
        let service = string(scalars[(serviceEnd - uuidLength)..<serviceEnd])
        let nameEnd = serviceEnd - uuidLength - 1
        guard scalars[serviceEnd] == "-", scalars[nameEnd] == "-", nameEnd >= 1 else { return nil }
        guard UUID(uuidString: service) != nil, UUID(uuidString: secret) != nil else { return nil }
        let name = scalars[..<nameEnd]
        // The name is free text but for control characters, as the contract's pattern says.
        guard !name.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        self.name = string(name)
        // As written in the key: the secret's exact characters are the signing key.
        self.serviceID = service
        self.secret = secret
    }
}
