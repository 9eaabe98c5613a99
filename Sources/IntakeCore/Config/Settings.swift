import Foundation

/// Reads settings from environment variables, with command-line flags taking precedence.
///
/// Each setting has one environment name (`HTTP_PORT`); its flag is the same name in
/// kebab case (`--http-port`). A malformed value stops start-up with one line that names the
/// setting, what it expects and what it got.
public struct SettingsSource: Sendable {
    public var environment: [String: String]
    public var overrides: [String: String]

    public init(environment: [String: String], overrides: [String: String] = [:]) {
        self.environment = environment
        self.overrides = overrides.filter { !$0.value.isEmpty }
    }

    public func raw(_ name: String) -> String? {
        if let value = overrides[name] { return value }
        if let value = environment[name], !value.trimmingCharacters(in: .whitespaces).isEmpty { return value }
        return nil
    }

    public func string(_ name: String, default value: String) -> String {
        raw(name) ?? value
    }

    public func required(_ name: String, hint: String) throws(ConfigError) -> String {
        guard let value = raw(name) else { throw ConfigError(setting: name, message: "is required (\(hint))") }
        return value
    }

    public func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let text = raw(name) else { return value }
        guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
            throw ConfigError(
                setting: name,
                message: "expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'"
            )
        }
        return parsed
    }

    /// A duration in seconds; fractions allowed (`0.5`).
    public func seconds(_ name: String, default value: Double, range: ClosedRange<Double>) throws(ConfigError) -> Duration {
        guard let text = raw(name) else { return .milliseconds(Int64(value * 1000)) }
        guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)), parsed.isFinite, range.contains(parsed) else {
            throw ConfigError(
                setting: name,
                message: "expected a number of seconds from \(formatted(range.lowerBound)) to \(formatted(range.upperBound)), got '\(text)'"
            )
        }
        return .milliseconds(Int64((parsed * 1000).rounded()))
    }

    public func choice<T: RawRepresentable & CaseIterable>(_ name: String, default value: T) throws(ConfigError) -> T
    where T.RawValue == String {
        guard let text = raw(name) else { return value }
        guard let parsed = T(rawValue: text.lowercased()) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(setting: name, message: "expected one of \(options), got '\(text)'")
        }
        return parsed
    }

    /// true/false (also 1/0, yes/no).
    public func bool(_ name: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let text = raw(name) else { return value }
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigError(setting: name, message: "expected true or false, got '\(text)'")
        }
    }

    private func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// A setting that is missing or malformed. Its description is the one line printed at start-up.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var setting: String
    public var message: String

    public init(setting: String, message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "configuration error: \(setting) \(message)" }
}
