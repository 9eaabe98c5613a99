import Crypto
import Foundation

/// The keys that seal the secrets this service must be able to use again (a council's GOV.UK
/// Pay API key and webhook secret, webhook signing secrets, Open311 API keys), so that a reader
/// of the database alone, or of a backup, learns none of them.
///
/// A sealed value is text: `sealed:v1:<key id>:<base64 of AES-GCM nonce, ciphertext and tag>`.
/// The key id (8 hex digits of a hash of the key) says which key opens it, so a rotation can
/// run while old values are still in place: `current` seals, `current` and `previous` open.
/// What the value is for (`purpose`, e.g. `destinations.secret`) is authenticated with it, so a
/// sealed value copied into another column does not open there.
public struct SecretKeyring: Sendable {
    public struct Key: Sendable {
        public let id: String
        let key: SymmetricKey

        /// 32 bytes, given as base64 (44 characters) or as 64 hex digits.
        public init?(encoded text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            var bytes: [UInt8]?
            if trimmed.count == 64, let hex = Self.hexBytes(trimmed) {
                bytes = hex
            } else if let data = Data(base64Encoded: trimmed) {
                bytes = Array(data)
            }
            guard let bytes, bytes.count == 32 else { return nil }
            self.key = SymmetricKey(data: bytes)
            let digest = SHA256.hash(data: Data("civic-intake secrets key".utf8) + Data(bytes))
            self.id = digest.prefix(4).map { String(format: "%02x", $0) }.joined()
        }

        private static func hexBytes(_ text: String) -> [UInt8]? {
            var bytes: [UInt8] = []
            var iterator = text.utf8.makeIterator()
            while let high = iterator.next() {
                guard let low = iterator.next(), let h = nibble(high), let l = nibble(low) else { return nil }
                bytes.append(h << 4 | l)
            }
            return bytes
        }

        private static func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        /// A new random key, base64-encoded (what `intake secrets generate-key` prints).
        public static func generateEncoded() -> String {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// A secret must be sealed or opened and no `SECRETS_KEY` is set.
        case keyMissing
        /// Sealed under a key that is neither `SECRETS_KEY` nor in `SECRETS_KEY_PREVIOUS`.
        case unknownKey(String)
        /// Not a sealed value, or it does not open (tampered, or another purpose's).
        case unreadable

        public var description: String {
            switch self {
            case .keyMissing: "SECRETS_KEY is not set, and stored secrets must be sealed with it"
            case .unknownKey(let id):
                "a stored secret is sealed under key \(id), which is neither SECRETS_KEY nor in SECRETS_KEY_PREVIOUS"
            case .unreadable: "a stored secret does not open with its key (altered, or not written by this service)"
            }
        }
    }

    public let current: Key?
    public let previous: [Key]

    public init(current: Key?, previous: [Key] = []) {
        self.current = current
        self.previous = previous
    }

    /// No key: nothing can be sealed or opened.
    public static let none = SecretKeyring(current: nil)

    static let prefix = "sealed:v1:"

    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// The id of the key a sealed value needs, or nil for a value that is not sealed.
    public static func keyID(of stored: String) -> String? {
        guard isSealed(stored) else { return nil }
        let rest = stored.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return String(rest[..<colon])
    }

    public func knows(keyID: String) -> Bool {
        current?.id == keyID || previous.contains { $0.id == keyID }
    }

    public func seal(_ plaintext: String, purpose: String) throws(Failure) -> String {
        guard let current else { throw .keyMissing }
        do {
            let box = try AES.GCM.seal(Data(plaintext.utf8), using: current.key, authenticating: Data(purpose.utf8))
            guard let combined = box.combined else { throw Failure.unreadable }
            return Self.prefix + current.id + ":" + combined.base64EncodedString()
        } catch {
            throw .unreadable
        }
    }

    public func open(_ stored: String, purpose: String) throws(Failure) -> String {
        guard let id = Self.keyID(of: stored) else { throw .unreadable }
        if current == nil { throw .keyMissing }
        guard let key = current?.id == id ? current : previous.first(where: { $0.id == id }) else { throw .unknownKey(id) }
        let encoded = stored.dropFirst(Self.prefix.count + id.count + 1)
        guard let combined = Data(base64Encoded: String(encoded)),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(purpose.utf8)),
            let text = String(data: plain, encoding: .utf8)
        else { throw .unreadable }
        return text
    }

    public func sealIfPresent(_ plaintext: String?, purpose: String) throws(Failure) -> String? {
        guard let plaintext else { return nil }
        return try seal(plaintext, purpose: purpose)
    }

    public func openIfPresent(_ stored: String?, purpose: String) throws(Failure) -> String? {
        guard let stored else { return nil }
        return try open(stored, purpose: purpose)
    }
}
