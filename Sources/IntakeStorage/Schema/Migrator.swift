import Logging
import PostgresNIO

/// Applies numbered migrations in order, each in its own transaction, and records each with its
/// checksum. Runs under a session advisory lock, so any number of `intake migrate` processes may
/// start at once: one applies, the others wait and then find nothing to do.
public struct Migrator: Sendable {
    /// Arbitrary but fixed: the advisory lock key every migrating process agrees on.
    static let lockKey: Int64 = 0x1_C1B1C_1A7A

    public let database: Database
    public let migrations: MigrationSet
    let logger: Logger

    public init(database: Database, migrations: MigrationSet, logger: Logger) {
        self.database = database
        self.migrations = migrations
        self.logger = logger
    }

    public struct Outcome: Sendable, Equatable {
        public var applied: [String]
        public var alreadyApplied: Int
    }

    @discardableResult
    public func migrate() async throws -> Outcome {
        let migrations = self.migrations
        let logger = self.logger
        return try await database.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let outcome = try await Self.applyPending(migrations, on: connection, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return outcome
            } catch {
                // The lock is the session's: release it before the connection goes back to the pool.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private static func applyPending(
        _ migrations: MigrationSet,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Outcome {
        _ = try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                duration_ms integer NOT NULL
            )
            """,
            logger: logger
        )
        let applied = try await AppliedMigrations.read(on: connection, logger: logger)
        try applied.verify(against: migrations)

        var newlyApplied: [String] = []
        for file in migrations.files where applied.byVersion[file.version] == nil {
            let started = ContinuousClock.now
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(file.sql) {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let milliseconds = Int((ContinuousClock.now - started).components.seconds * 1000)
                _ = try await connection.query(
                    """
                    INSERT INTO schema_migrations (version, name, checksum, duration_ms)
                    VALUES (\(file.version), \(file.name), \(file.checksum), \(milliseconds))
                    """,
                    logger: logger
                )
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw MigrationError.failed(name: file.name, reason: DatabaseErrors.summary(error))
            }
            logger.info("applied migration", metadata: ["migration": "\(file.name)"])
            newlyApplied.append(file.name)
        }
        return Outcome(applied: newlyApplied, alreadyApplied: applied.byVersion.count)
    }

    /// Whether the database has exactly this build's migrations (readiness asks this).
    public func status() async throws -> MigrationStatus {
        let migrations = self.migrations
        let logger = self.logger
        return try await database.withConnection { connection in
            let applied: AppliedMigrations
            do {
                applied = try await AppliedMigrations.read(on: connection, logger: logger)
            } catch  where DatabaseErrors.sqlState(error) == "42P01" {
                // No schema_migrations table: nothing was ever applied.
                return MigrationStatus(applied: 0, known: migrations.files.count, problem: nil)
            }
            var problem: MigrationError?
            do { try applied.verify(against: migrations) } catch let error as MigrationError { problem = error }
            return MigrationStatus(applied: applied.byVersion.count, known: migrations.files.count, problem: problem)
        }
    }
}

public struct MigrationStatus: Sendable, Equatable {
    public var applied: Int
    public var known: Int
    /// An edited or unknown applied migration.
    public var problem: MigrationError?

    public init(applied: Int, known: Int, problem: MigrationError?) {
        self.applied = applied
        self.known = known
        self.problem = problem
    }

    public var isCurrent: Bool { problem == nil && applied == known }
}

struct AppliedMigrations {
    struct Row {
        var name: String
        var checksum: String
    }

    var byVersion: [Int: Row]

    /// A row of `schema_migrations`.
    struct AppliedRow: RowDecodable {
        var version: Int
        var name: String
        var checksum: String

        init(columns: RowColumns) throws {
            version = try columns("version")
            name = try columns("name")
            checksum = try columns("checksum")
        }
    }

    static func read(on connection: PostgresConnection, logger: Logger) async throws -> AppliedMigrations {
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
            logger: logger
        )
        var byVersion: [Int: Row] = [:]
        for row in try await rows.collect(AppliedRow.self) {
            byVersion[row.version] = Row(name: row.name, checksum: row.checksum)
        }
        return AppliedMigrations(byVersion: byVersion)
    }

    func verify(against migrations: MigrationSet) throws(MigrationError) {
        let known = Dictionary(uniqueKeysWithValues: migrations.files.map { ($0.version, $0) })
        for (version, row) in byVersion.sorted(by: { $0.key < $1.key }) {
            guard let file = known[version] else { throw .unknownApplied(version: version, name: row.name) }
            if file.checksum != row.checksum {
                throw .editedAfterApply(name: file.name, recorded: row.checksum, current: file.checksum)
            }
        }
    }
}
