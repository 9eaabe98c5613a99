import Crypto
import Foundation

/// Standard Webhooks signing (standardwebhooks.com): `webhook-signature` carries
/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each secret in use, space-separated,
/// so during a rotation a receiver holding either secret can verify.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    /// A new secret: `whsec_` and 32 random bytes in base64.
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return secretPrefix + Data(bytes).base64EncodedString()
    }

    /// The key bytes of a `whsec_…` secret; nil when it is not base64.
    public static func key(of secret: String) -> [UInt8]? {
        let encoded = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        return Data(base64Encoded: encoded).map(Array.init)
    }

    /// The `webhook-signature` header value for a message signed with each of `secrets`.
    public static func header(id: String, timestamp: Int, body: [UInt8], secrets: [String]) -> String {
        secrets.compactMap { secret in
            key(of: secret).map { "v1," + signature(id: id, timestamp: timestamp, body: body, key: $0) }
        }.joined(separator: " ")
    }

    static func signature(id: String, timestamp: Int, body: [UInt8], key: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return Data(mac).base64EncodedString()
    }
}
