import Crypto
import Foundation

/// GOV.UK Pay's webhook signature: the `Pay-Signature` header is the lower-case hex
/// HMAC-SHA256 of the raw body under the webhook signing secret.
public enum PaySignature {
    public static func sign(_ body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Constant time in the signature's content: a wrong guess reveals nothing about the right one.
    public static func verify(_ body: [UInt8], signature: String?, secret: String) -> Bool {
        guard let signature, !secret.isEmpty else { return false }
        let expected = Array(sign(body, secret: secret).utf8)
        let given = Array(signature.trimmingCharacters(in: .whitespaces).lowercased().utf8)
        return Secrets.constantTimeEquals(expected, given)
    }
}
