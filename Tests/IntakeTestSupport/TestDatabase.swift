import Foundation
import IntakeCore
import IntakeStorage
import Logging
import PostgresNIO

/// A database of its own for one test, cloned from a template that was migrated once per test
/// process. Cloning (CREATE DATABASE … TEMPLATE) takes a fraction of a second, so every test
/// starts from the same clean, fully migrated state and tests can run in parallel.
public struct TestDatabase: Sendable {
    public let name: String
    public let settings: DatabaseSettings

    /// The server the tests use: `TEST_DATABASE_URL` (set by `make test`), pointing at any
    /// database the user may connect to; tests create and drop their own databases next to it.
    public static var server: DatabaseSettings {
        guard let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] else {
            fatalError("TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        do { return try DatabaseSettings.parse(url: url, setting: "TEST_DATABASE_URL") } catch {
            fatalError("\(error)")
        }
    }

    /// A fresh, migrated database.
    public static func create() async throws -> TestDatabase {
        let template = try await TemplateStore.shared.templateName()
        return try await createEmpty(template: template)
    }

    /// A fresh database with no migrations applied (PostGIS not even enabled).
    public static func createEmpty(template: String = "template1") async throws -> TestDatabase {
        let name = "intake_t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        try await Admin.execute("CREATE DATABASE \(name) TEMPLATE \(template) STRATEGY FILE_COPY")
        return TestDatabase(name: name, settings: server.with(database: name))
    }

    public func drop() async throws {
        try await Admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs `body` with a connection pool on this database; the pool is closed afterwards.
    @discardableResult
    public func withDatabase<T: Sendable>(
        poolSize: Int = 10,
        acquireTimeout: Duration = .seconds(5),
        secrets: SecretKeyring = TestSecrets.keyring,
        username: String? = nil,
        _ body: @Sendable (Database) async throws -> T
    ) async throws -> T {
        var settings = settings
        if let username { settings.username = username }
        let database = Database(
            settings: settings,
            poolSize: poolSize,
            acquireTimeout: acquireTimeout,
            logger: .quiet,
            secrets: secrets
        )
        let runner = Task { try await database.run() }
        do {
            let result = try await body(database)
            await cancelAndSettle(runner)
            return result
        } catch {
            await cancelAndSettle(runner)
            throw error
        }
    }

    /// Runs `body` with an ordinary login role (no superuser, no ownership) that has the rights
    /// a deployment grants its service on the migrated schema; the role is dropped afterwards.
    public func withServiceRole<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let role = "intake_r_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try await executeOnServer("CREATE ROLE \(role) LOGIN NOSUPERUSER")
        func dropRole() async throws {
            try await execute("DROP OWNED BY \(role)")
            try await executeOnServer("DROP ROLE \(role)")
        }
        do {
            for grant in [
                // As README's "Database role" says.
                "USAGE ON SCHEMA public", "SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public",
                "USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public", "EXECUTE ON ALL FUNCTIONS IN SCHEMA public",
            ] {
                try await execute("GRANT \(grant) TO \(role)")
            }
            let result = try await body(role)
            try await dropRole()
            return result
        } catch {
            try? await dropRole()
            throw error
        }
    }

    /// Runs one SQL statement as the server's admin user, outside any pool.
    public func execute(_ sql: String) async throws {
        try await Admin.execute(sql, database: name)
    }

    /// Runs one statement from the server's admin database (for ALTER DATABASE on this one).
    public func executeOnServer(_ sql: String) async throws {
        try await Admin.execute(sql)
    }
}

/// Creates a migrated database and drops it when `body` ends, whether it threw or not.
///
/// At most `TestDatabasePermits.count` tests hold a database at once (a test that makes a second
/// one inside the first does not wait again): with every suite in parallel, each test's pools
/// would otherwise take more connections than the server allows.
public func withTestDatabase<T: Sendable>(
    migrated: Bool = true,
    _ body: @Sendable (TestDatabase) async throws -> T
) async throws -> T {
    if TestDatabasePermits.held { return try await withTestDatabaseHeld(migrated: migrated, body) }
    return try await TestDatabasePermits.shared.withPermit {
        try await TestDatabasePermits.$held.withValue(true) { try await withTestDatabaseHeld(migrated: migrated, body) }
    }
}

private func withTestDatabaseHeld<T: Sendable>(
    migrated: Bool,
    _ body: @Sendable (TestDatabase) async throws -> T
) async throws -> T {
    let database = migrated ? try await TestDatabase.create() : try await TestDatabase.createEmpty()
    do {
        let result = try await body(database)
        try await database.drop()
        return result
    } catch {
        try? await database.drop()
        throw error
    }
}

/// One template per test process, built on first use.
actor TemplateStore {
    static let shared = TemplateStore()
    private var building: Task<String, any Error>?

    func templateName() async throws -> String {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> String {
        let name =
            "intake_tpl_\(ProcessInfo.processInfo.processIdentifier)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(6).lowercased())"
        try await Admin.execute("CREATE DATABASE \(name)")
        let template = TestDatabase(name: name, settings: TestDatabase.server.with(database: name))
        try await template.withDatabase { database in
            try await Migrator(database: database, migrations: try MigrationSet.bundled(), logger: .quiet).migrate()
        }
        return name
    }
}

/// Single admin connections for CREATE/DROP DATABASE, which cannot run in a transaction.
enum Admin {
    static func execute(_ sql: String, database: String? = nil) async throws {
        let server = TestDatabase.server
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: server.host,
                port: server.port,
                username: server.username,
                password: server.password,
                database: database ?? server.database,
                tls: .disable
            ),
            id: 1,
            logger: .quiet
        )
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .quiet)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw AdminError(sql: sql, reason: DatabaseErrors.summary(error))
        }
    }
}

struct AdminError: Error, CustomStringConvertible {
    var sql: String
    var reason: String
    var description: String { "\(sql): \(reason)" }
}

extension Logger {
    /// A logger that drops everything: test output stays readable.
    public static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Bounds how many tests hold a database at once.
public actor TestDatabasePermits {
    public static let shared = TestDatabasePermits(count: 6)
    @TaskLocal static var held = false

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { available = count }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }

    nonisolated func withPermit<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }
}
