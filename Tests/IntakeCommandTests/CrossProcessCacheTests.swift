import AsyncHTTPClient
import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// Each `intake serve` process caches API keys and the routing catalogue. A change made through
/// one process must reach every other within a second (LISTEN/NOTIFY), or a revoked key would
/// keep working on the instances that did not see the revocation.
@Suite(.timeLimit(.minutes(3))) struct CrossProcessCacheTests {
    static let report = """
        {"category": "fly_tipping", "location": {"lat": 52.3, "lon": -1.9}, "description": "Sofa dumped in the close.",
         "attributes": {"waste_type": "household", "size": "car_boot"}}
        """

    /// A running server whose caches are live (its listener has LISTENed), and its port.
    static func startServer(_ testDB: TestDatabase) async throws -> (IntakeProcess, Int) {
        let server = try IntakeProcess(
            ["serve"],
            environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0", "LOG_FORMAT": "json"]
        )
        let listening = await server.waitForLine(containing: "\"listening\"", timeout: .seconds(30))
        let notified = await server.waitForLine(containing: "listening for database notifications", timeout: .seconds(30))
        guard let listening, notified != nil, let port = ServeCommandTests.port(in: listening) else {
            _ = await server.waitForExit(timeout: .seconds(1))
            throw ServerDidNotStart(output: server.stdout + server.stderr)
        }
        return (server, port)
    }

    struct ServerDidNotStart: Error { var output: String }

    static func call(
        _ port: Int,
        _ method: HTTPMethod,
        _ path: String,
        key: String,
        body: String? = nil
    ) async throws
        -> (status: Int, body: String)
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), text)
    }

    /// Polls `probe` every 20 ms until it returns true; the time that took, or nil after `limit`.
    static func timeUntil(limit: Duration = .seconds(5), _ probe: () async throws -> Bool) async throws -> Duration? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            if try await probe() { return ContinuousClock.now - started }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    static func keys(_ testDB: TestDatabase) async throws -> (admin: String, client: String) {
        try await testDB.withDatabase(poolSize: 2) { database in
            try await DispatchFixtures.seed(database)
            let store = APIKeyStore(database: database, logger: .quiet)
            let admin = try await store.create(role: .admin, councilSlug: nil, label: "admin", expiresAt: nil)
            let client = try await store.create(role: .client, councilSlug: nil, label: "app", expiresAt: nil)
            return (admin.token.text, client.token.text)
        }
    }

    @Test func aKeyRevokedThroughOneProcessFailsOnAnotherWithinOneSecond() async throws {
        try await withTestDatabase { testDB in
            let (admin, client) = try await Self.keys(testDB)
            let (first, firstPort) = try await Self.startServer(testDB)
            let (second, secondPort) = try await Self.startServer(testDB)
            defer {
                first.signal(SIGKILL)
                second.signal(SIGKILL)
            }
            // The second process has checked (and cached) the key.
            for _ in 0..<3 {
                #expect(try await Self.call(secondPort, .POST, "/v1/reports", key: client, body: Self.report).status == 201)
            }
            let prefix = String(client.split(separator: "_")[1])
            #expect(try await Self.call(firstPort, .DELETE, "/v1/api-keys/ci_\(prefix)", key: admin).status == 204)
            let elapsed = try await Self.timeUntil {
                try await Self.call(secondPort, .POST, "/v1/reports", key: client, body: Self.report).status == 401
            }
            let took = try #require(elapsed, "the revoked key still works on the second process after 5 s")
            #expect(took < .seconds(1), "took \(took)")
        }
    }

    @Test func aCategoryRetiredThroughOneProcessStopsReportsOnAnotherWithinOneSecond() async throws {
        try await withTestDatabase { testDB in
            let (admin, client) = try await Self.keys(testDB)
            let (first, firstPort) = try await Self.startServer(testDB)
            let (second, secondPort) = try await Self.startServer(testDB)
            defer {
                first.signal(SIGKILL)
                second.signal(SIGKILL)
            }
            for _ in 0..<3 {
                #expect(try await Self.call(secondPort, .POST, "/v1/reports", key: client, body: Self.report).status == 201)
            }
            #expect(try await Self.call(firstPort, .DELETE, "/v1/councils/barchester/categories/fly_tipping", key: admin).status == 200)
            var refusal = ""
            let elapsed = try await Self.timeUntil {
                let (status, body) = try await Self.call(secondPort, .POST, "/v1/reports", key: client, body: Self.report)
                refusal = body
                return status == 422
            }
            let took = try #require(elapsed, "the retired category still takes reports on the second process after 5 s")
            #expect(took < .seconds(1), "took \(took)")
            #expect(refusal.contains("category_not_available_here"))
        }
    }

    @Test func aWorkerPollingEveryThirtySecondsDeliversANewCaseWithinOneSecond() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in .init(status: 204) }
        defer { Task { await receiver.stop() } }
        try await withTestDatabase { testDB in
            try await WorkerProcessTests.setUp(testDB, receiver: receiver)
            let worker = try IntakeProcess(
                ["worker"],
                environment: WorkerProcessTests.environment(testDB, ["WORKER_POLL_INTERVAL": "30"])
            )
            defer { worker.signal(SIGKILL) }
            #expect(await worker.waitForLine(containing: "listening for database notifications", timeout: .seconds(30)) != nil)
            // The worker's first pass has found nothing; it now waits up to 30 s unless woken.
            try await Task.sleep(for: .milliseconds(500))
            // Reports go in through the intake service of this process, which notifies after commit.
            try await testDB.withDatabase(poolSize: 2) { database in
                for round in 1...3 {
                    let started = ContinuousClock.now
                    try await DispatchFixtures.report(database, description: "Case \(round)")
                    let delivered = await receiver.waitForRequests(round, timeout: .seconds(5))
                    let took = ContinuousClock.now - started
                    #expect(delivered.count == round)
                    #expect(took < .seconds(1), "round \(round) took \(took)")
                }
            }
        }
    }
}
