import IntakeCore
import Testing

@Suite struct ConfigTests {
    let url = "postgres://intake:s%40cret@db.internal:6543/intake?sslmode=disable"

    @Test func defaultsApplyWhenOnlyTheDatabaseIsGiven() throws {
        let config = try IntakeConfig.load(from: SettingsSource(environment: ["DATABASE_URL": url]))
        #expect(config.httpHost == "127.0.0.1")
        #expect(config.httpPort == 8080)
        #expect(config.maxJSONBodyBytes == 1_048_576)
        #expect(config.logLevel == .info)
        #expect(config.logFormat == .text)
        #expect(config.databasePoolSize == 20)
        #expect(config.databaseAcquireTimeout == .seconds(5))
        #expect(
            config.database
                == DatabaseSettings(
                    host: "db.internal",
                    port: 6543,
                    username: "intake",
                    password: "s@cret",
                    database: "intake",
                    tls: .disable
                )
        )
    }

    @Test func flagsOverrideTheEnvironment() throws {
        let source = SettingsSource(
            environment: ["DATABASE_URL": url, "HTTP_PORT": "9000", "LOG_FORMAT": "text"],
            overrides: ["HTTP_PORT": "9100", "LOG_FORMAT": "json"]
        )
        let config = try IntakeConfig.load(from: source)
        #expect(config.httpPort == 9100)
        #expect(config.logFormat == .json)
    }

    @Test func missingDatabaseURLNamesTheSetting() {
        #expect(throws: ConfigError.self) { try IntakeConfig.load(from: SettingsSource(environment: [:])) }
        do {
            _ = try IntakeConfig.load(from: SettingsSource(environment: ["DATABASE_URL": "  "]))
            Issue.record("expected an error")
        } catch {
            #expect(error.setting == "DATABASE_URL")
            #expect(error.description.hasPrefix("configuration error: DATABASE_URL is required"))
        }
    }

    @Test(arguments: [
        ("HTTP_PORT", "eighty", "expected a whole number from 0 to 65535, got 'eighty'"),
        ("HTTP_PORT", "70000", "expected a whole number from 0 to 65535, got '70000'"),
        ("LOG_LEVEL", "loud", "expected one of trace, debug, info, notice, warning, error, critical, got 'loud'"),
        ("LOG_FORMAT", "xml", "expected one of text, json, got 'xml'"),
        ("DB_ACQUIRE_TIMEOUT", "-1", "expected a number of seconds from 0.05 to 120, got '-1'"),
        ("MAX_JSON_BODY_BYTES", "12", "expected a whole number from 1024 to 67108864, got '12'"),
        (
            "CORS_ALLOWED_ORIGINS", "https://app.example/path",
            "expected '*' or comma-separated origins like https://app.example, got 'https://app.example/path'"
        ),
        (
            "CORS_ALLOWED_ORIGINS", "https://a.example, app.example",
            "expected '*' or comma-separated origins like https://app.example, got 'app.example'"
        ),
        ("METRICS_PORT", "-1", "expected a whole number from 0 to 65535, got '-1'"),
    ])
    func malformedSettingsSayWhatTheyExpect(name: String, value: String, message: String) {
        do {
            _ = try IntakeConfig.load(from: SettingsSource(environment: ["DATABASE_URL": url, name: value]))
            Issue.record("expected \(name)=\(value) to be refused")
        } catch {
            #expect(error.setting == name)
            #expect(error.message == message)
        }
    }

    @Test func corsOriginsAreReadAsAList() throws {
        let config = try IntakeConfig.load(
            from: SettingsSource(environment: ["DATABASE_URL": url, "CORS_ALLOWED_ORIGINS": " https://app.example , http://localhost:3000"])
        )
        #expect(config.corsAllowedOrigins == ["https://app.example", "http://localhost:3000"])
        #expect(try IntakeConfig.load(from: SettingsSource(environment: ["DATABASE_URL": url])).corsAllowedOrigins == [])
    }

    @Test(arguments: [
        ("mysql://u@h/db", "must be a URL like"),
        ("postgres://u@h", "has no database name"),
        ("postgres://h:5432/db", "has no user name"),
        ("postgres://u@h/db?sslmode=maybe", "has sslmode 'maybe'"),
    ])
    func badDatabaseURLsAreRefusedWithoutEchoingSecrets(url: String, fragment: String) {
        do {
            _ = try DatabaseSettings.parse(url: url)
            Issue.record("expected \(url) to be refused")
        } catch {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func passwordsNeverAppearInURLErrors() {
        do {
            _ = try DatabaseSettings.parse(url: "postgres://user:hunter2@host")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func sslModesMapToTLSBehaviour() throws {
        #expect(try DatabaseSettings.parse(url: "postgres://u@h/d").tls == .prefer)
        #expect(try DatabaseSettings.parse(url: "postgres://u@h/d?sslmode=require").tls == .require)
        #expect(try DatabaseSettings.parse(url: "postgresql://u@h/d?sslmode=verify-full").tls == .require)
        #expect(try DatabaseSettings.parse(url: "postgres://u@h:5433/d").port == 5433)
    }
}
