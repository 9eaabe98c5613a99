import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import PostgresNIO

@testable import IntakeClients
@testable import IntakeServices

/// A seeded test database, a local receiver, and a dispatcher that tests drive pass by pass.
struct DispatchWorld: Sendable {
    let testDB: TestDatabase
    let database: Database
    let receiver: HTTPReceiver
    let sender: Sender
    let dispatcher: Dispatcher
    let queue: PushQueue

    static func run(
        leaseMargin: Double = 30,
        respond: @escaping HTTPReceiver.Respond = { _, _ in .init(status: 204) },
        _ body: @Sendable (DispatchWorld) async throws -> Void
    ) async throws {
        let receiver = try await HTTPReceiver.start(respond: respond)
        // The receiver is on loopback: the local-testing allowance.
        let sender = Sender(client: Sender.makeClient(), addressGuard: DestinationAddressGuard(allowPrivate: true))
        do {
            try await withTestDatabase { testDB in
                try await testDB.withDatabase(poolSize: 10, acquireTimeout: .seconds(10)) { database in
                    try await DispatchFixtures.seed(database)
                    let queue = PushQueue(database: database, logger: .quiet)
                    let dispatcher = Dispatcher(
                        queue: queue,
                        destinations: DestinationStore(database: database, logger: .quiet),
                        messages: QueueMessages(database: database, logger: .quiet, baseURL: "https://intake.example"),
                        sender: sender,
                        batchSize: 50,
                        leaseMargin: leaseMargin,
                        workerID: "test-worker",
                        logger: .quiet
                    )
                    try await body(
                        DispatchWorld(
                            testDB: testDB,
                            database: database,
                            receiver: receiver,
                            sender: sender,
                            dispatcher: dispatcher,
                            queue: queue
                        )
                    )
                }
            }
        } catch {
            await sender.shutdown()
            await receiver.stop()
            throw error
        }
        await sender.shutdown()
        await receiver.stop()
    }

    func scalar<T: PostgresDecodableSendable>(_ sql: String, as type: T.Type = T.self) async throws -> T? {
        try await DispatchFixtures.scalar(database, sql, as: type)
    }

    func execute(_ sql: String) async throws { try await DispatchFixtures.execute(database, sql) }

    func timelineKinds(_ reportID: UUID) async throws -> [String] {
        try await ReportStore(database: database, logger: .quiet).timeline(reportID: reportID).map(\.kind.rawValue)
    }

    func jobStates() async throws -> [String] {
        let text = try await scalar("SELECT string_agg(state, ',' ORDER BY id) FROM dispatch_jobs", as: String.self) ?? ""
        return text.split(separator: ",").map(String.init)
    }
}

typealias PostgresDecodableSendable = PostgresDecodable & Sendable
