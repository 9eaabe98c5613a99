import IntakeCore
import IntakeStorage
import IntakeTestSupport
import PostgresNIO
import Testing

@Suite struct DatabaseTests {
    @Test func anUnreachableDatabaseFailsWithinTheBoundedWait() async throws {
        // Nothing listens on port 1 on loopback.
        let settings = TestDatabase.server.with(database: "nowhere")
        var unreachable = settings
        unreachable.port = 1
        let database = Database(settings: unreachable, poolSize: 2, acquireTimeout: .milliseconds(300), logger: .quiet)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            await #expect(throws: DatabaseUnavailable.self) {
                try await database.waitUntilReachable(timeout: .seconds(1))
            }
            await #expect(throws: DatabaseUnavailable.self) { try await database.ping() }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func connectionsRefusedByTheServerCountAsUnavailable() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(acquireTimeout: .seconds(2)) { database in
                try await database.waitUntilReachable(timeout: .seconds(20))
                try await Self.disallowConnections(testDB)
                var caught: (any Error)?
                do { try await database.ping() } catch { caught = error }
                #expect(caught.map(DatabaseErrors.isUnavailable) == true)
                try await Self.allowConnections(testDB)
            }
        }
    }

    @Test func aWrongQueryIsNotMistakenForAnOutage() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase { database in
                do {
                    try await database.withConnection { connection in
                        _ = try await connection.query("SELECT * FROM missing_table", logger: .quiet)
                    }
                    Issue.record("expected an error")
                } catch {
                    #expect(!DatabaseErrors.isUnavailable(error))
                    #expect(DatabaseErrors.sqlState(error) == "42P01")
                    #expect(DatabaseErrors.summary(error).contains("missing_table"))
                }
            }
        }
    }

    static func disallowConnections(_ testDB: TestDatabase) async throws {
        try await testDB.executeOnServer("ALTER DATABASE \(testDB.name) ALLOW_CONNECTIONS false")
        try await testDB.executeOnServer(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(testDB.name)' AND pid <> pg_backend_pid()")
    }

    static func allowConnections(_ testDB: TestDatabase) async throws {
        try await testDB.executeOnServer("ALTER DATABASE \(testDB.name) ALLOW_CONNECTIONS true")
    }
}
