import ArgumentParser
import Foundation
import IntakeCore
import IntakeServices
import IntakeStorage
import Logging
import Metrics
import Prometheus

/// Start-up shared by every subcommand: settings, logging, metrics, the database.
enum Runtime {
    /// Reads settings; a bad one ends the process with one line and exit code 78 (EX_CONFIG).
    static func loadConfig(_ options: SettingsOptions) throws -> IntakeConfig {
        do {
            return try IntakeConfig.load(
                from: SettingsSource(environment: ProcessInfo.processInfo.environment, overrides: options.overrides)
            )
        } catch {
            FileHandle.standardError.write(Data("intake: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }

    /// Logging and metrics are process-wide and may be bootstrapped once, here only.
    static func bootstrap(_ config: IntakeConfig, label: String) -> (Logger, PrometheusCollectorRegistry) {
        let level = Logger.Level(rawValue: config.logLevel.rawValue) ?? .info
        let format = config.logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return (Logger(label: label), registry)
    }

    /// Runs `body` with a database that answered `SELECT 1`. The pool closes after `body`
    /// returns, so servers inside it drain before their connections go.
    static func withDatabase<T: Sendable>(
        _ config: IntakeConfig,
        logger: Logger,
        _ body: @Sendable (Database) async throws -> T
    ) async throws -> T {
        let database = Database(config: config, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            do {
                try await database.waitUntilReachable(timeout: config.databaseConnectTimeout)
            } catch let error as DatabaseUnavailable {
                logger.critical("\(error)")
                FileHandle.standardError.write(Data("intake: \(error)\n".utf8))
                throw ExitCode(69)
            }
            return try await body(database)
        }
    }

    /// Serving processes refuse to start when stored secrets cannot be opened with the keys
    /// they were given (exit 78), and seal any still in plain text.
    static func prepareSecrets(_ database: Database, logger: Logger) async throws {
        do {
            try await SealedSecretsStore(database: database, logger: logger).prepare()
        } catch let refusal as SealedSecretsStore.Refusal {
            logger.critical("\(refusal)")
            FileHandle.standardError.write(Data("intake: \(refusal)\n".utf8))
            throw ExitCode(78)
        }
    }

    static func migrations(_ config: IntakeConfig) throws -> MigrationSet {
        if let folder = config.migrationsDirectory {
            return try MigrationSet.load(directory: URL(fileURLWithPath: folder))
        }
        return try MigrationSet.bundled()
    }
}

/// The audit entry of a change made at the command line (actor `cli`, role `operator`).
struct CommandLineAudit {
    let trail: AuditTrail
    let id: Int64

    static func begin(
        _ app: AppServices,
        action: String,
        command: String,
        councilSlug: String?,
        target: [String: String] = [:],
        changes: [String: String] = [:]
    ) async throws -> CommandLineAudit {
        let trail = app.audit
        var councilID: UUID?
        if let councilSlug { councilID = try await app.councils.find(slug: councilSlug)?.id }
        let id = try await trail.begin(
            AuditEvent(
                requestID: "cli-\(UUID().uuidString.lowercased())",
                actor: .commandLine(),
                councilID: councilID,
                councilSlug: councilSlug,
                action: action,
                method: "CLI",
                route: "intake \(command)",
                target: target,
                changes: AttributeJSON.write(changes)
            )
        )
        return CommandLineAudit(trail: trail, id: id)
    }

    func complete(status: Int, notes: [String: String]) async throws {
        try await trail.complete(id: id, status: status, notes: notes)
    }
}
