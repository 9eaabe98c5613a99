import Foundation

/// The URLs the contract's patterns describe, so that the server takes exactly what generated
/// clients check. A host name (letters, digits, `-`, `_`), IPv4 address or [IPv6] address and an
/// optional port; the scheme in any letter case; no user info. (`URL(string:)` alone takes more,
/// such as `https://user@host` or `%zz`.)
/// (The regexes are `nonisolated(unsafe)`: `Regex<AnyRegexOutput>` is not Sendable, and they are
/// never mutated.)
public enum URLGrammar {
    static let authority =
        #"([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*|\[[0-9A-Fa-f:.]+\])(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"#
    /// A path and a query of URI characters with well-formed %-escapes.
    static let pathQuery = #"(/([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?"#
    static let fragment = #"(#([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?"#
    /// Anything but spaces and control characters after the authority.
    static let looseRest = #"([/?#][^\x00-\x20\x7F-\x9F]*)?"#

    /// A destination's URL (signed requests go there): https, or http where the operator allows it;
    /// no fragment.
    nonisolated(unsafe) public static let destination = try! Regex(#"[Hh][Tt][Tt][Pp][Ss]?://"# + authority + pathQuery)
    /// Where a payer returns: https, a fragment allowed.
    nonisolated(unsafe) public static let returnURL = try! Regex(#"[Hh][Tt][Tt][Pp][Ss]://"# + authority + pathQuery + fragment)
    /// A link a client hosts (Open311's `media_url`, only stored and shown): http or https, then
    /// anything but spaces and control characters, as clients write them.
    nonisolated(unsafe) public static let link = try! Regex(#"[Hh][Tt][Tt][Pp][Ss]?://"# + authority + looseRest)
}
