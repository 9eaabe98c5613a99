import Crypto
import Foundation

/// Random secrets and their stored form. Secrets are never stored, only their SHA-256, and
/// compared in constant time so response timing reveals nothing about a stored hash.
public enum Secrets {
    /// `bytes` random bytes from the system's CSPRNG, as lower-case hex.
    public static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes * 2)
        var remaining = bytes
        while remaining > 0 {
            var word = generator.next()
            for _ in 0..<min(8, remaining) {
                out.append(digits[Int(word >> 4 & 0xF)])
                out.append(digits[Int(word & 0xF)])
                word >>= 8
            }
            remaining -= 8
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func sha256(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(text.utf8)))
    }

    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
