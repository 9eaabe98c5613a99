import Foundation
import IntakeTestSupport
import Testing

/// What an operator sees when start-up cannot proceed.
@Suite struct StartupTests {
    @Test func aMalformedSettingStopsStartUpWithOneLine() async throws {
        let result = try await IntakeProcess.run(
            ["serve"],
            environment: ["DATABASE_URL": "postgres://u@127.0.0.1/db", "HTTP_PORT": "eighty"]
        )
        #expect(result.status == 78)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first == "intake: configuration error: HTTP_PORT expected a whole number from 0 to 65535, got 'eighty'")
    }

    @Test func aMissingDatabaseURLStopsEveryCommand() async throws {
        for command in ["serve", "worker", "dev", "migrate"] {
            let result = try await IntakeProcess.run([command], environment: [:])
            #expect(result.status == 78, "\(command)")
            #expect(result.stderr.hasPrefix("intake: configuration error: DATABASE_URL is required"), "\(command)")
        }
    }

    @Test func flagsWinOverTheEnvironment() async throws {
        let result = try await IntakeProcess.run(
            ["serve", "--log-format", "yaml"],
            environment: ["DATABASE_URL": "postgres://u@127.0.0.1/db", "LOG_FORMAT": "json"]
        )
        #expect(result.status == 78)
        #expect(result.stderr.contains("LOG_FORMAT expected one of text, json, got 'yaml'"))
    }

    @Test func anUnreachableDatabaseFailsClearlyAfterABoundedWait() async throws {
        let started = ContinuousClock.now
        let result = try await IntakeProcess.run(
            ["serve"],
            environment: [
                "DATABASE_URL": "postgres://intake:secret-pw@127.0.0.1:1/intake?sslmode=disable",
                "DB_CONNECT_TIMEOUT": "1", "LOG_LEVEL": "critical",
            ]
        )
        #expect(result.status == 69)
        #expect(result.stderr.contains("cannot reach PostgreSQL at 127.0.0.1:1/intake"))
        #expect(!result.stderr.contains("secret-pw"))
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
