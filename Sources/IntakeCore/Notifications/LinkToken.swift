import Crypto
import Foundation

/// The token in a link we send (unsubscribe, confirm an alert, reset a console password): what it is for and the id of
/// its subject, with a MAC under a key derived from `SECRETS_KEY`, so a link needs nothing
/// stored to check it and cannot be made up or pointed at another subject. Links made under a
/// key in `SECRETS_KEY_PREVIOUS` keep working through a rotation; a key dropped altogether
/// ends its links (the reporter or subscriber can unsubscribe from any later message).
public struct LinkToken: Sendable, Equatable {
    public enum Purpose: UInt8, Sendable {
        /// A reporter's messages about one report.
        case unsubscribeReport = 1
        /// One alert subscription.
        case unsubscribeAlert = 2
        /// Activates a pending alert subscription.
        case confirmAlert = 3
        /// Sets a new console password: the subject is a `staff_password_resets` row, good once
        /// and until it expires (so a leaked link soon stops working).
        case staffPasswordReset = 4
    }

    public var purpose: Purpose
    public var subject: UUID

    public init(_ purpose: Purpose, _ subject: UUID) {
        self.purpose = purpose
        self.subject = subject
    }

    /// 17 bytes of purpose and id, 16 of MAC: 44 URL-safe characters. nil without a key.
    public func encoded(with keyring: SecretKeyring) -> String? {
        guard let key = keyring.current else { return nil }
        let payload = self.payload
        return Self.base64URL(payload + Self.mac(payload, key: key))
    }

    /// The token's purpose and subject when one of the keyring's keys made it.
    public static func decode(_ text: String, with keyring: SecretKeyring) -> LinkToken? {
        guard text.count == 44, let bytes = fromBase64URL(text), bytes.count == 33,
            let purpose = Purpose(rawValue: bytes[0])
        else { return nil }
        let payload = Array(bytes[0..<17])
        let mac = Array(bytes[17...])
        let keys = [keyring.current].compactMap { $0 } + keyring.previous
        guard keys.contains(where: { Secrets.constantTimeEquals(Self.mac(payload, key: $0), mac) }) else { return nil }
        let subject = UUID(
            uuid: (
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15], bytes[16]
            )
        )
        return LinkToken(purpose, subject)
    }

    var payload: [UInt8] {
        withUnsafeBytes(of: subject.uuid) { [purpose.rawValue] + Array($0) }
    }

    static func mac(_ payload: [UInt8], key: SecretKeyring.Key) -> [UInt8] {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key.key,
            info: Data("civic-intake link tokens".utf8),
            outputByteCount: 32
        )
        return Array(HMAC<SHA256>.authenticationCode(for: payload, using: derived).prefix(16))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64URL(_ text: String) -> [UInt8]? {
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
