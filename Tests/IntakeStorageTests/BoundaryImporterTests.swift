import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import PostgresNIO
import Synchronization
import Testing

@testable import IntakeServices

@Suite struct BoundaryImporterTests {
    static func collection(_ features: [String]) -> Data {
        Data(#"{"type": "FeatureCollection", "features": [\#(features.joined(separator: ","))]}"#.utf8)
    }

    static func feature(name: String?, code: String?, geometry: String) -> String {
        var properties: [String] = []
        if let name { properties.append(#""LAD23NM": "\#(name)""#) }
        if let code { properties.append(#""LAD23CD": "\#(code)""#) }
        return #"{"type": "Feature", "properties": {\#(properties.joined(separator: ","))}, "geometry": \#(geometry)}"#
    }

    static let square = #"{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#
    static let islands =
        #"{"type": "MultiPolygon", "coordinates": [[[[2,0],[3,0],[3,1],[2,1],[2,0]]], [[[4,0],[5,0],[5,1],[4,1],[4,0]]]]}"#
    static let bowtie = #"{"type": "Polygon", "coordinates": [[[0,0],[2,2],[2,0],[0,2],[0,0]]]}"#
    static let clockwise = #"{"type": "Polygon", "coordinates": [[[6,0],[6,1],[7,1],[7,0],[6,0]]]}"#
    static let line = #"{"type": "LineString", "coordinates": [[0,0],[1,1]]}"#
    static let empty = #"{"type": "MultiPolygon", "coordinates": []}"#

    let options = BoundaryImporter.Options(nameProperty: "LAD23NM", codeProperty: "LAD23CD", tier: .district)

    @Test func validFeaturesImportAndBrokenOnesAreReportedOneByOne() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase { database in
                let data = Self.collection([
                    Self.feature(name: "Alpha District Council", code: "E07000001", geometry: Self.square),
                    Self.feature(name: "Beta Islands", code: "E07000002", geometry: Self.islands),
                    Self.feature(name: nil, code: "E07000003", geometry: Self.square),
                    Self.feature(name: "Gamma", code: "E07000004", geometry: Self.bowtie),
                    Self.feature(name: "Delta", code: "E07000005", geometry: "null"),
                    Self.feature(name: "Epsilon", code: "E07000006", geometry: Self.line),
                    Self.feature(name: "Zeta", code: "E07000007", geometry: Self.clockwise),
                    Self.feature(name: "Eta", code: "E07000008", geometry: Self.empty),
                    Self.feature(name: "Theta", code: nil, geometry: Self.square),
                ])
                let progress = ProgressLog()
                let outcomes = try await BoundaryImporter(boundaries: BoundaryStore(database: database, logger: .quiet), caches: ProcessCaches())
                    .importCollection(data, options: options, progress: { progress.record($0, $1) })
                #expect(progress.calls.last == [9, 9])
                #expect(outcomes.map(\.index) == Array(1...9))
                #expect(outcomes[0].result == .created(slug: "alpha-district-council"))
                #expect(outcomes[1].result == .created(slug: "beta-islands"))
                #expect(outcomes[1].vertices == 10)
                #expect(outcomes[2].result == .failed(reason: "has no 'LAD23NM' property to name the council"))
                guard case .failed(let bowtie) = outcomes[3].result else {
                    Issue.record("bowtie imported")
                    return
                }
                #expect(bowtie.contains("Self-intersection"))
                #expect(outcomes[4].result == .failed(reason: "has no geometry (empty geometry)"))
                guard case .failed(let line) = outcomes[5].result else {
                    Issue.record("line imported")
                    return
                }
                #expect(line.contains("Polygon or MultiPolygon"))
                #expect(outcomes[6].result == .created(slug: "zeta"))
                #expect(outcomes[6].warnings.first?.contains("clockwise") == true)
                guard case .failed(let empty) = outcomes[7].result else {
                    Issue.record("empty imported")
                    return
                }
                #expect(empty.contains("empty"))
                #expect(outcomes[8].result == .failed(reason: "has no usable 'LAD23CD' code property"))

                let stored = try await CouncilStore(database: database, logger: .quiet).list()
                #expect(stored.map(\.slug) == ["alpha-district-council", "beta-islands", "zeta"])
                #expect(stored.allSatisfy { $0.tier == .district && $0.geography != nil })
                #expect(stored.first?.code == "E07000001")
            }
        }
    }

    @Test func reimportReplacesTheBoundaryInPlace() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase { database in
                let importer = BoundaryImporter(boundaries: BoundaryStore(database: database, logger: .quiet), caches: ProcessCaches())
                let councils = CouncilStore(database: database, logger: .quiet)
                _ = try await importer.importCollection(
                    Self.collection([Self.feature(name: "Alpha", code: "E07000001", geometry: Self.square)]),
                    options: options
                )
                let before = try await councils.find(slug: "alpha")
                // Renamed in the new release of the file, and bigger: matched by its code.
                let bigger = #"{"type": "Polygon", "coordinates": [[[0,0],[3,0],[3,3],[0,3],[0,0]]]}"#
                let outcomes = try await importer.importCollection(
                    Self.collection([Self.feature(name: "Alpha Borough", code: "E07000001", geometry: bigger)]),
                    options: options
                )
                #expect(outcomes.first?.result == .updated(slug: "alpha"))
                let after = try await councils.find(slug: "alpha")
                #expect(after?.id == before?.id)
                #expect(before?.geography?.maxLat == 1)
                #expect(after?.geography?.maxLat == 3)
                #expect(try await councils.list().count == 1)
            }
        }
    }

    /// A feature whose code matches no council but whose name gives a slug another council has
    /// is reported and skipped; the features after it are still imported.
    @Test func aSlugAnotherCouncilHasIsReportedAndTheRestImport() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase { database in
                let importer = BoundaryImporter(boundaries: BoundaryStore(database: database, logger: .quiet), caches: ProcessCaches())
                let outcomes = try await importer.importCollection(
                    Self.collection([
                        Self.feature(name: "Alpha", code: "E07000001", geometry: Self.square),
                        Self.feature(name: "Alpha", code: "E07000002", geometry: Self.square),
                        Self.feature(name: "Beta", code: "E07000003", geometry: Self.square),
                    ]),
                    options: options
                )
                #expect(
                    outcomes.map(\.result) == [
                        .created(slug: "alpha"), .failed(reason: "another council already has the slug 'alpha'"), .created(slug: "beta"),
                    ]
                )
                #expect(try await CouncilStore(database: database, logger: .quiet).list().map(\.slug) == ["alpha", "beta"])
            }
        }
    }

    @Test func somethingOtherThanAFeatureCollectionIsRefusedWhole() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase { database in
                let importer = BoundaryImporter(boundaries: BoundaryStore(database: database, logger: .quiet), caches: ProcessCaches())
                await #expect(throws: BoundaryImporter.ImportError.self) {
                    _ = try await importer.importCollection(Data(Self.square.utf8), options: options)
                }
                await #expect(throws: BoundaryImporter.ImportError.self) {
                    _ = try await importer.importCollection(Data("not json".utf8), options: options)
                }
            }
        }
    }
}

final class ProgressLog: Sendable {
    private let storage = Mutex<[[Int]]>([])
    func record(_ done: Int, _ total: Int) { storage.withLock { $0.append([done, total]) } }
    var calls: [[Int]] { storage.withLock { $0 } }
}
