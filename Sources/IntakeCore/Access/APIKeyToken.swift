import Foundation

/// The roles a key can have.
public enum Role: String, Sendable, CaseIterable {
    /// Citizen-facing apps.
    case client
    /// A council's back-office system; bound to one council.
    case backoffice
    /// Operators of the shared service.
    case admin
}

/// An API key as the caller presents it: `ci_<prefix>_<secret>`.
///
/// The prefix identifies the key (it is stored, listed and safe to log); only a SHA-256 hash of
/// the secret is stored, so a database leak does not leak usable keys.
public struct APIKeyToken: Sendable, Equatable {
    public var prefix: String
    public var secret: String

    /// A new random key: 5 bytes of prefix, 32 bytes of secret, hex encoded.
    public static func generate() -> APIKeyToken {
        APIKeyToken(prefix: Secrets.randomHex(bytes: 5), secret: Secrets.randomHex(bytes: 32))
    }

    public init(prefix: String, secret: String) {
        self.prefix = prefix
        self.secret = secret
    }

    /// Parses a presented key; nil for anything not shaped like one of ours.
    public init?(parsing text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ci", parts[1].count == 10, parts[2].count == 64,
            parts[1].allSatisfy(\.isHexDigit), parts[2].allSatisfy(\.isHexDigit)
        else { return nil }
        self.prefix = String(parts[1])
        self.secret = String(parts[2])
    }

    /// The whole key, shown to its owner once.
    public var text: String { "ci_\(prefix)_\(secret)" }
    /// The part that may be shown again: in lists, logs and support calls.
    public var displayPrefix: String { "ci_\(prefix)" }

    public var secretHash: [UInt8] { Secrets.sha256(secret) }

    public func matches(storedHash: [UInt8]) -> Bool {
        Secrets.constantTimeEquals(secretHash, storedHash)
    }
}

/// Who is calling, once their key checked out.
public struct Principal: Sendable, Equatable {
    public var keyID: UUID
    public var keyPrefix: String
    public var role: Role
    /// Set for back-office keys only.
    public var councilID: UUID?

    public init(keyID: UUID, keyPrefix: String, role: Role, councilID: UUID?) {
        self.keyID = keyID
        self.keyPrefix = keyPrefix
        self.role = role
        self.councilID = councilID
    }
}
