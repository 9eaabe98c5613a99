import Foundation

/// Builds RFC 6901 JSON pointers from coding paths, so field errors name the exact field.
public enum JSONPointer {
    /// `["location", "lat"]` → `/location/lat`; `~` and `/` are escaped as the RFC requires.
    public static func from(_ components: [String]) -> String {
        if components.isEmpty { return "" }
        return components.map { "/" + escape($0) }.joined()
    }

    public static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
