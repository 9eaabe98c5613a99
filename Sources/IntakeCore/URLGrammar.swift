import Foundation

/// The URLs the contract's patterns describe, so that the server takes exactly what generated
/// clients check: a host name, IPv4 address or [IPv6] address, an optional port, then a path and
/// a query of URI characters with well-formed %-escapes; no user info. (`URL(string:)` alone
/// takes more: `https://user@host`, `%zz`, a space on some platforms.)
public enum URLGrammar {
    static let authorityPathQuery = #"([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?(/([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?"#
    static let fragment = #"(#([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?"#

    /// A destination's URL: https (http too where the operator allows it), no fragment.
    nonisolated(unsafe) public static let destination = try! Regex("https?://" + authorityPathQuery)
    /// Where a payer returns: https, a fragment allowed.
    nonisolated(unsafe) public static let returnURL = try! Regex("https://" + authorityPathQuery + fragment)
    /// A link a client hosts (Open311's `media_url`): http or https in any letter case, a fragment allowed.
    nonisolated(unsafe) public static let link = try! Regex("[Hh][Tt][Tt][Pp][Ss]?://" + authorityPathQuery + fragment)
}
