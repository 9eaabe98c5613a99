import Foundation
import Hummingbird
import IntakeCore
import IntakeHTTP
import IntakeStorage
import IntakeTestSupport
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// Our worker's `open311` destination against our own Open311 facade, as if the facade were a
/// council's Open311 server (two databases: the dispatching service and the "council").
@Suite(.timeLimit(.minutes(3))) struct Open311InteropTests {
    @Test func theWorkerDeliversToTheFacadeAndUpdatesFollow() async throws {
        try await withTestDatabase { councilDB in
            try await councilDB.withDatabase(poolSize: 4) { councilDatabase in
                try await DispatchFixtures.seed(councilDatabase)
                let key = try await APIKeyStore(database: councilDatabase, logger: .quiet).create(
                    role: .client,
                    councilSlug: nil,
                    label: "dispatcher",
                    expiresAt: nil
                )
                try await Self.withServer(councilDB, councilDatabase) { port in
                    try await DispatchWorld.run { world in
                        let destination = try await DispatchFixtures.barchesterDestination(
                            world.database,
                            kind: .open311,
                            url: "http://127.0.0.1:\(port)/open311/v2/",
                            apiKey: key.token.text
                        )
                        let council = try await CouncilStore(database: world.database, logger: .quiet).find(slug: "barchester")!
                        var definition = destination.definition
                        definition.open311Jurisdiction = "barchester"
                        _ = try await DestinationStore(database: world.database, logger: .quiet).update(definition, councilID: council.id)

                        let reportID = try await DispatchFixtures.report(world.database)
                        #expect(try await world.dispatcher.runOnce() == 1)
                        #expect(try await world.jobStates() == ["done"])

                        // The council's copy: a report like any other, pointing back at ours.
                        let ours = try await ReportStore(database: world.database, logger: .quiet).find(id: reportID)!.0
                        let theirID = try #require(ours.externalReference.flatMap(UUID.init(uuidString:)))
                        let theirs = try #require(try await ReportStore(database: councilDatabase, logger: .quiet).find(id: theirID)).0
                        #expect(theirs.description == ours.description)
                        #expect(theirs.category.code == "fly_tipping")
                        #expect(theirs.reporter == DispatchFixtures.reporter)
                        #expect(theirs.attributes == ours.attributes)
                        let backReference = try await DispatchFixtures.scalar(
                            councilDatabase,
                            "SELECT source_attributes->>'civic_intake_reference' FROM reports WHERE id = '\(theirID)'",
                            as: String.self
                        )
                        #expect(backReference == ours.reference)

                        try await DispatchFixtures.comment(world.database, reportID, "A second sofa has appeared.")
                        #expect(try await world.dispatcher.runOnce() == 1)
                        #expect(try await world.jobStates() == ["done", "done"])
                        let comments = try await ReportStore(database: councilDatabase, logger: .quiet).timeline(reportID: theirID)
                            .filter { $0.kind == .comment }.map(\.publicNote)
                        #expect(comments == ["A second sofa has appeared."])
                    }
                }
            }
        }
    }

    /// The full HTTP application on a free loopback port while `body` runs.
    static func withServer(_ testDB: TestDatabase, _ database: Database, _ body: @Sendable (Int) async throws -> Void) async throws {
        var config = IntakeConfig(database: testDB.settings, databaseAcquireTimeout: .seconds(10))
        config.httpPort = 0
        let port = PortBox()
        let app = try buildApplication(
            HTTPDependencies(
                config: config,
                database: database,
                migrations: try MigrationSet.bundled(),
                metrics: PrometheusCollectorRegistry(),
                logger: .quiet
            ),
            onServerRunning: { value in port.value.withLock { $0 = value } }
        )
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        do {
            let deadline = ContinuousClock.now + .seconds(10)
            while port.value.withLock({ $0 }) == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let found = try #require(port.value.withLock { $0 })
            try await body(found)
            await cancelAndSettle(server)
        } catch {
            await cancelAndSettle(server)
            throw error
        }
    }
}

final class PortBox: Sendable {
    let value = Mutex<Int?>(nil)
}
