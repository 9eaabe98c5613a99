import IntakeCore
import IntakeStorage
import IntakeTestSupport
import PostgresNIO
import Synchronization
import Testing

@Suite struct DatabaseTests {
    /// A request's calls share one acquire timeout: with the pool held elsewhere, a request of
    /// three calls fails within about one timeout, not three.
    @Test func aRequestsCallsShareOneAcquireTimeout() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 1, acquireTimeout: .milliseconds(600)) { database in
                let holding = Task { try await database.withConnection { _ in try await Task.sleep(for: .seconds(3)) } }
                try await Task.sleep(for: .milliseconds(200))
                let started = ContinuousClock.now
                var failures = 0
                try await Database.$acquireBudget.withValue(AcquireBudget()) {
                    for _ in 0..<3 {
                        do { try await database.ping() } catch is DatabaseUnavailable { failures += 1 }
                    }
                }
                let took = ContinuousClock.now - started
                #expect(failures == 3)
                #expect(took < .milliseconds(1_000), "\(took)")
                // Without a shared budget each call waits the whole timeout.
                let alone = ContinuousClock.now
                await #expect(throws: DatabaseUnavailable.self) { try await database.ping() }
                #expect(ContinuousClock.now - alone >= .milliseconds(550))
                holding.cancel()
                _ = try? await holding.value
            }
        }
    }

    /// The server closes a connection between two statements of a transaction (what PostgreSQL
    /// does to every session when it restarts): the next statement is answered with
    /// DatabaseUnavailable at once instead of never (`make drills` found requests waiting for
    /// ever there, and SIGTERM then waiting for them).
    @Test func aStatementAfterTheServerClosedTheConnectionFailsPromptly() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 2) { database in
                let outcome = Mutex<String?>(nil)
                let call = Task {
                    do {
                        try await database.withTransaction { connection in
                            var pid = 0
                            for try await value in try await connection.query("SELECT pg_backend_pid()", logger: .quiet).decode(Int.self) {
                                pid = value
                            }
                            try await testDB.executeOnServer("SELECT pg_terminate_backend(\(pid))")
                            // Let the close reach the connection before the next statement.
                            try await Task.sleep(for: .milliseconds(300))
                            _ = try await connection.query("SELECT 1", logger: .quiet)
                        }
                        outcome.withLock { $0 = "succeeded" }
                    } catch is DatabaseUnavailable {
                        outcome.withLock { $0 = "unavailable" }
                    } catch {
                        outcome.withLock { $0 = "other: \(String(reflecting: error).prefix(200))" }
                    }
                }
                let deadline = ContinuousClock.now + .seconds(5)
                while outcome.withLock({ $0 }) == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                let answer = outcome.withLock { $0 }
                // An error naming the closed connection is as good as our own; never a hang.
                #expect(answer == "unavailable", "\(answer ?? "no answer within 5 s")")
                if answer == nil { call.cancel() }
                // The pool goes on serving.
                try await database.ping()
            }
        }
    }

    @Test func anUnreachableDatabaseFailsWithinTheBoundedWait() async throws {
        // Nothing listens on port 1 on loopback.
        let settings = TestDatabase.server.with(database: "nowhere")
        var unreachable = settings
        unreachable.port = 1
        let database = Database(settings: unreachable, poolSize: 2, acquireTimeout: .milliseconds(300), logger: .quiet)
        let started = ContinuousClock.now
        await withThrowingTaskGroup(of: Void.self) { group in
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
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(testDB.name)' AND pid <> pg_backend_pid()"
        )
    }

    static func allowConnections(_ testDB: TestDatabase) async throws {
        try await testDB.executeOnServer("ALTER DATABASE \(testDB.name) ALLOW_CONNECTIONS true")
    }
}
