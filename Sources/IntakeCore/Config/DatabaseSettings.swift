import Foundation

/// Where the PostgreSQL server is, parsed from a `postgres://user:password@host:port/db` URL.
public struct DatabaseSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        /// No TLS (`sslmode=disable`): loopback and private networks.
        case disable
        /// TLS when the server offers it (`sslmode=prefer`, the default, like libpq).
        case prefer
        /// TLS or nothing (`sslmode=require`, `verify-ca`, `verify-full`).
        case require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int, username: String, password: String?, database: String, tls: TLSMode) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses a libpq-style URL. Errors say what is wrong without echoing the password.
    public static func parse(url text: String, setting: String = "DATABASE_URL") throws(ConfigError) -> DatabaseSettings {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw ConfigError(setting: setting, message: "must be a URL like postgres://user:password@host:5432/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ConfigError(setting: setting, message: "has no host (expected postgres://user@host:port/database)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else {
            throw ConfigError(setting: setting, message: "has no database name (expected …/database at the end)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ConfigError(setting: setting, message: "has no user name (expected postgres://user@host/database)")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else {
            throw ConfigError(setting: setting, message: "has a port outside 1–65535")
        }
        var tls = TLSMode.prefer
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            switch mode {
            case "disable", "allow": tls = .disable
            case "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default:
                throw ConfigError(setting: setting, message: "has sslmode '\(mode)'; expected disable, prefer or require")
            }
        }
        return DatabaseSettings(
            host: host,
            port: port,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database,
            tls: tls
        )
    }

    /// The same server with a different database name (tests clone databases).
    public func with(database: String) -> DatabaseSettings {
        var copy = self
        copy.database = database
        return copy
    }
}
