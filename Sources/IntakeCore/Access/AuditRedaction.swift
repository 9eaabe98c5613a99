import Foundation

/// What an audit entry keeps of a request body: the JSON with every secret replaced, or only
/// its size when it is large (a council's boundary) or not JSON.
public enum AuditRedaction {
    /// Fields whose values are secrets wherever they appear in a body.
    public static let secretFields: Set<String> = [
        "api_key", "webhook_secret", "open311_api_key", "secret", "signing_secret", "previous_secret", "key", "password",
        "token", "tracking_token", "client_secret",
    ]
    public static let maxKeptBytes = 16 * 1024
    public static let redacted = "[redacted]"

    /// JSON text of an object, for the entry's `changes`.
    public static func changes(body: Data, contentType: String?) -> String {
        if body.isEmpty { return "{}" }
        let isJSON = (contentType ?? "application/json").lowercased().contains("json")
        guard isJSON, body.count <= maxKeptBytes,
            let root = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        else {
            return #"{"body_bytes":\#(body.count)}"#
        }
        let cleaned = redact(root)
        let wrapped: Any = cleaned is [String: Any] ? cleaned : ["body": cleaned]
        guard let data = try? JSONSerialization.data(withJSONObject: wrapped, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"body_bytes":\#(body.count)}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func redact(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]:
            var out: [String: Any] = [:]
            for (key, child) in object {
                out[key] = secretFields.contains(key.lowercased()) && !(child is NSNull) ? redacted : redact(child)
            }
            return out
        case let array as [Any]:
            return array.map(redact)
        default:
            return value
        }
    }
}
