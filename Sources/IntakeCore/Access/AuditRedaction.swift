import Foundation

/// What an audit entry keeps of a request body: the JSON with every secret replaced and long
/// values shortened (a council's boundary keeps its first coordinates), or only its size when
/// it is not JSON. Padding a body cannot hide a field: every field is kept, only shortened.
public enum AuditRedaction {
    /// Fields whose values are secrets wherever they appear in a body.
    public static let secretFields: Set<String> = [
        "api_key", "webhook_secret", "open311_api_key", "secret", "signing_secret", "previous_secret", "key", "password",
        "token", "tracking_token", "client_secret", "callback_token",
    ]
    /// Strings longer than this keep their start and say how long they were.
    public static let maxStringCharacters = 500
    /// Arrays longer than this keep their first items and say how many there were.
    public static let maxArrayItems = 20
    public static let redacted = "[redacted]"

    /// JSON text of an object, for the entry's `changes`.
    /// `alsoRedact`: fields that are personal data on this route (an erasure request's address,
    /// which must not outlive the erasure in the audit log).
    public static func changes(body: Data, contentType: String?, alsoRedact: Set<String> = []) -> String {
        if body.isEmpty { return "{}" }
        let isJSON = (contentType ?? "application/json").lowercased().contains("json")
        guard isJSON,
            let root = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        else {
            return #"{"body_bytes":\#(body.count)}"#
        }
        let cleaned = redact(root, also: alsoRedact)
        let wrapped: Any = cleaned is [String: Any] ? cleaned : ["body": cleaned]
        guard let data = try? JSONSerialization.data(withJSONObject: wrapped, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"body_bytes":\#(body.count)}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func redact(_ value: Any, also: Set<String> = []) -> Any {
        switch value {
        case let object as [String: Any]:
            var out: [String: Any] = [:]
            for (key, child) in object {
                let secret = secretFields.contains(key.lowercased()) || also.contains(key.lowercased())
                out[key] = secret && !(child is NSNull) ? redacted : redact(child, also: also)
            }
            return out
        case let array as [Any]:
            var kept = array.prefix(maxArrayItems).map { redact($0, also: also) }
            if array.count > maxArrayItems { kept.append("… (\(array.count) items)") }
            return kept
        case let text as String where text.count > maxStringCharacters:
            return String(text.prefix(100)) + "… (\(text.count) characters)"
        default:
            return value
        }
    }
}
