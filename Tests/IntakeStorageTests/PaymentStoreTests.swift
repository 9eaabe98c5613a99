import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

/// Guarded state changes of payment intents against the real database.
@Suite struct PaymentStoreTests {
    static func intent(_ database: Database) async throws -> UUID {
        try await DispatchFixtures.seed(database)
        let council = try await CouncilStore(database: database, logger: .quiet).find(slug: "barchester")!
        return try await PaymentStore(database: database, logger: .quiet).create(
            .init(
                councilID: council.id,
                accountReference: "41234567",
                amountPence: 12_345,
                returnURL: "https://app.example/done",
                provider: "sandbox",
                expiresAt: Date().addingTimeInterval(5400)
            ),
            actor: "client"
        )
    }

    @Test func concurrentConfirmationsMakeOneMove() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 10) { database in
                let id = try await Self.intent(database)
                let store = PaymentStore(database: database, logger: .quiet)
                #expect(try await store.move(id, from: .created, to: .pending, actor: "provider", reason: "started") == .moved)
                let results = try await withThrowingTaskGroup(of: PaymentStore.MoveResult.self) { group in
                    for _ in 0..<10 {
                        group.addTask { try await store.move(id, from: .pending, to: .succeeded, actor: "webhook", reason: "paid") }
                    }
                    var all: [PaymentStore.MoveResult] = []
                    for try await result in group { all.append(result) }
                    return all
                }
                #expect(results.filter { $0 == .moved }.count == 1)
                #expect(results.filter { $0 == .notInExpectedState(current: .succeeded) }.count == 9)
                let history = try await store.history(id)
                #expect(history.map(\.to) == [.created, .pending, .succeeded])
            }
        }
    }

    @Test func aFinishedIntentIgnoresLateAndForbiddenEvents() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 2) { database in
                let id = try await Self.intent(database)
                let store = PaymentStore(database: database, logger: .quiet)
                #expect(try await store.move(id, from: .created, to: .cancelled, actor: "payer", reason: "declined") == .moved)
                // A late "started" from the provider finds the intent no longer created.
                #expect(
                    try await store.move(id, from: .created, to: .pending, actor: "provider", reason: "late")
                        == .notInExpectedState(current: .cancelled)
                )
                // Moves the table forbids are never attempted.
                #expect(try await store.move(id, from: .cancelled, to: .succeeded, actor: "provider", reason: "x") == .forbidden)
                #expect(try await store.history(id).map(\.to) == [.created, .cancelled])
            }
        }
    }

    /// The database's own guard lists exactly the moves `PaymentState.transitions` allows, and
    /// refuses any other update, whoever writes it.
    @Test func theDatabaseGuardAgreesWithTheTransitionTable() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 2) { database in
                for from in PaymentState.allCases {
                    for to in PaymentState.allCases where from != to {
                        let allowed = try await DispatchFixtures.scalar(
                            database,
                            "SELECT payment_move_allowed('\(from.rawValue)', '\(to.rawValue)')",
                            as: Bool.self
                        )
                        #expect(allowed == from.canMove(to: to), "\(from) → \(to)")
                    }
                }
                let id = try await Self.intent(database)
                await #expect(throws: (any Error).self) {
                    try await DispatchFixtures.execute(database, "UPDATE payment_intents SET state = 'posted' WHERE id = '\(id)'")
                }
                #expect(try await PaymentStore(database: database, logger: .quiet).find(id: id)?.state == .created)
            }
        }
    }
}
