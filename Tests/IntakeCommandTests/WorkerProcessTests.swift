import AsyncHTTPClient
import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import PostgresNIO
import Testing

/// The real `intake worker` binary against a real receiver: hard and graceful stops, and two
/// workers sharing one queue.
@Suite(.timeLimit(.minutes(3))) struct WorkerProcessTests {
    static func environment(_ testDB: TestDatabase, _ extra: [String: String] = [:]) -> [String: String] {
        // The receiver listens on loopback: the local-testing allowance.
        ["DATABASE_URL": testDB.settings.url, "WORKER_POLL_INTERVAL": "0.2", "LOG_FORMAT": "json", "DESTINATIONS_ALLOW_PRIVATE": "true"]
            .merging(extra) { $1 }
    }

    static func startWorker(_ testDB: TestDatabase, _ extra: [String: String] = [:]) async throws -> IntakeProcess {
        let worker = try IntakeProcess(["worker"], environment: environment(testDB, extra))
        #expect(await worker.waitForLine(containing: "worker started", timeout: .seconds(30)) != nil, "\(worker.stderr)")
        return worker
    }

    static func setUp(_ testDB: TestDatabase, receiver: HTTPReceiver, timeoutSeconds: Int = 5) async throws {
        try await testDB.withDatabase(poolSize: 2) { database in
            try await DispatchFixtures.seed(database)
            try await DispatchFixtures.barchesterDestination(
                database,
                kind: .webhook,
                url: receiver.url + "/hook",
                timeoutSeconds: timeoutSeconds
            )
        }
    }

    static func scalar<T: PostgresDecodableSendable>(_ testDB: TestDatabase, _ sql: String, as type: T.Type) async throws -> T? {
        try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.scalar($0, sql, as: type) }
    }

    @Test func aWorkerKilledDuringTheCallLosesNothing() async throws {
        // The first call never answers in time: the worker is killed while waiting for it.
        let receiver = try await HTTPReceiver.start { _, index in index == 0 ? .init(status: 204, delay: .seconds(30)) : .init(status: 204) }
        defer { Task { await receiver.stop() } }
        try await withTestDatabase { testDB in
            try await Self.setUp(testDB, receiver: receiver)
            let first = try await Self.startWorker(testDB, ["WORKER_LEASE_MARGIN": "0.5"])
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.report($0) }
            #expect(await receiver.waitForRequests(1).count == 1)
            first.signal(SIGKILL)
            _ = await first.waitForExit(timeout: .seconds(5))

            let second = try await Self.startWorker(testDB, ["WORKER_LEASE_MARGIN": "0.5"])
            let requests = await receiver.waitForRequests(2, timeout: .seconds(20))
            second.signal(SIGTERM)
            #expect(await second.waitForExit(timeout: .seconds(15)) == 0)
            try #require(requests.count == 2)
            #expect(requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"])
            #expect(try await Self.scalar(testDB, "SELECT state || ':' || attempts FROM dispatch_jobs", as: String.self) == "done:2")
        }
    }

    @Test func sigtermFinishesAndRecordsTheDeliveryInHand() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in .init(status: 204, delay: .milliseconds(1500)) }
        defer { Task { await receiver.stop() } }
        try await withTestDatabase { testDB in
            try await Self.setUp(testDB, receiver: receiver)
            let worker = try await Self.startWorker(testDB)
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.report($0) }
            #expect(await receiver.waitForRequests(1).count == 1)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(timeout: .seconds(15)) == 0, "\(worker.stderr)")
            #expect(worker.stdout.contains("worker stopped"))
            #expect(try await Self.scalar(testDB, "SELECT state || ':' || attempts FROM dispatch_jobs", as: String.self) == "done:1")
            #expect(receiver.requests.count == 1)
        }
    }

    @Test func theWorkerServesItsMetrics() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in .init(status: 204) }
        defer { Task { await receiver.stop() } }
        try await withTestDatabase { testDB in
            try await Self.setUp(testDB, receiver: receiver)
            let metricsPort = Int.random(in: 20_000...29_999)
            let worker = try await Self.startWorker(testDB, ["WORKER_METRICS_PORT": "\(metricsPort)"])
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.report($0) }
            #expect(await receiver.waitForRequests(1).count == 1)
            try await Task.sleep(for: .milliseconds(500))
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"),
                timeout: .seconds(10)
            )
            let metrics = String(buffer: try await response.body.collect(upTo: 1 << 20))
            worker.signal(SIGTERM)
            _ = await worker.waitForExit(timeout: .seconds(15))
            #expect(metrics.contains(#"intake_dispatch_attempts_total{kind="webhook",outcome="delivered"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"intake_dispatch_queue_depth{council="barchester",destination="webhook",kind="webhook"} 0"#))
        }
    }

    @Test func twoWorkersShareTheQueueAndDeliverEachCaseOnce() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in .init(status: 204, delay: .milliseconds(5)) }
        defer { Task { await receiver.stop() } }
        try await withTestDatabase { testDB in
            try await Self.setUp(testDB, receiver: receiver)
            let settings = ["WORKER_BATCH_SIZE": "5", "WORKER_LANES": "2"]
            let workers = [try await Self.startWorker(testDB, settings), try await Self.startWorker(testDB, settings)]
            let count = 150
            try await testDB.withDatabase(poolSize: 4) { database in
                for index in 0..<count { try await DispatchFixtures.report(database, description: "Case \(index)") }
            }
            let requests = await receiver.waitForRequests(count, timeout: .seconds(60))
            try await Task.sleep(for: .milliseconds(500))
            for worker in workers { worker.signal(SIGTERM) }
            for worker in workers { #expect(await worker.waitForExit(timeout: .seconds(15)) == 0) }

            #expect(requests.count == count)
            #expect(receiver.requests.count == count, "no case delivered twice")
            #expect(Set(receiver.requests.compactMap { $0.headers["webhook-id"] }).count == count)
            #expect(try await Self.scalar(testDB, "SELECT count(*)::int FROM dispatch_jobs WHERE state = 'done'", as: Int.self) == count)
            #expect(try await Self.scalar(testDB, "SELECT count(DISTINCT locked_by)::int FROM dispatch_jobs", as: Int.self) == 2)
        }
    }
}

typealias PostgresDecodableSendable = PostgresDecodable & Sendable
