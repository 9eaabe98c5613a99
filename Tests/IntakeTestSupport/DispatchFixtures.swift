import Foundation
import IntakeCore
import IntakeDemo
import IntakeServices
import IntakeStorage
import Logging
import PostgresNIO

/// The demo councils (each with its pull queue `cases`) and reports in Barchester, for tests of
/// dispatch. Reports go through the real intake path, so their jobs are the real outbox rows.
public enum DispatchFixtures {
    public static let reporter = ReporterContact(name: "Septimus Harding", email: "harding@example.org", phone: "01632 960555")

    public static func seed(_ database: Database) async throws {
        _ = try await DemoSeed(database: database, logger: .quiet).run()
    }

    /// A fly-tipping report in Barchester (routed to the Barchester City Council).
    @discardableResult
    public static func report(_ database: Database, description: String = "Sofa dumped in the close.") async throws -> UUID {
        try await intake(database).submit(
            NewReport(
                categoryCode: "fly_tipping",
                position: .wgs84(LatLon(lat: 52.3, lon: -1.9)),
                description: description,
                address: "Cathedral Close, Barchester",
                attributes: ["waste_type": .text("household"), "size": .text("car_boot")],
                reporter: reporter,
                anonymous: false,
                photoIDs: []
            ),
            clientKeyID: nil
        ).report.id
    }

    /// A fly-tipping report in Plumstead (another council).
    @discardableResult
    public static func plumsteadReport(_ database: Database) async throws -> UUID {
        try await intake(database).submit(
            NewReport(
                categoryCode: "fly_tipping",
                position: .wgs84(LatLon(lat: 52.3, lon: -1.3)),
                description: "Tyres by the lane.",
                address: nil,
                attributes: ["waste_type": .text("tyres"), "size": .text("single_item")],
                reporter: reporter,
                anonymous: false,
                photoIDs: []
            ),
            clientKeyID: nil
        ).report.id
    }

    /// The intake service over `database`, as the API wires it (caches not live: every read is SQL).
    public static func intake(_ database: Database) -> IntakeService {
        IntakeService(
            reports: ReportStore(database: database, logger: .quiet),
            catalogue: RoutingCatalogue(routing: RoutingStore(database: database, logger: .quiet), caches: ProcessCaches())
        )
    }

    public static func comment(_ database: Database, _ reportID: UUID, _ text: String) async throws {
        _ = try await ReportStore(database: database, logger: .quiet).addUpdate(reportID: reportID, comment: text, photoIDs: [])
    }

    /// Makes a push destination Barchester's default, so new Barchester cases go to it.
    @discardableResult
    public static func barchesterDestination(
        _ database: Database,
        kind: Destination.Kind,
        url: String,
        maxAttempts: Int = 10,
        timeoutSeconds: Int = 5,
        apiKey: String? = nil
    ) async throws -> Destination {
        let council = try await CouncilStore(database: database, logger: .quiet).find(slug: "barchester")!
        return try await DestinationStore(database: database, logger: .quiet).create(
            DestinationDefinition(
                name: kind.rawValue,
                kind: kind,
                isDefault: true,
                url: url,
                open311APIKey: apiKey,
                timeoutSeconds: timeoutSeconds,
                maxAttempts: maxAttempts
            ),
            councilID: council.id
        )
    }

    /// One value from the database.
    public static func scalar<T: PostgresDecodable & Sendable>(
        _ database: Database,
        _ sql: String,
        as: T.Type = T.self
    )
        async throws -> T?
    {
        try await database.withConnection { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .quiet)
            for try await value in rows.decode(T.self) { return value }
            return nil
        }
    }

    public static func execute(_ database: Database, _ sql: String) async throws {
        try await database.withConnection { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .quiet)
        }
    }

    /// Makes every waiting job due now (instead of waiting out its backoff).
    public static func makeDue(_ database: Database) async throws {
        try await execute(database, "UPDATE dispatch_jobs SET run_at = now() WHERE state = 'pending'")
    }
}
