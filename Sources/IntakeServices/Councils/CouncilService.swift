import Foundation
import IntakeCore
import IntakeStorage

/// Councils and their boundaries: the directory every other feature routes by.
public struct CouncilService: Sendable {
    let councils: CouncilStore
    let boundaries: BoundaryStore
    let caches: ProcessCaches

    /// A change the directory refuses because another council holds the slug or code.
    public enum Conflict: Error, Equatable {
        case slugTaken
        case codeTaken
    }

    /// A boundary PostGIS refuses, with its reason (written for the caller).
    public struct InvalidBoundary: Error, Equatable {
        public var reason: String
    }

    public func list() async throws -> [Council] { try await councils.list() }

    public func find(slug: String) async throws -> Council? { try await councils.find(slug: slug) }

    public func find(id: UUID) async throws -> Council? { try await councils.find(id: id) }

    /// The council's boundary and open cases for the console's map.
    public func map(councilID: UUID, openCasesLimit: Int) async throws -> CouncilMap {
        try await boundaries.map(councilID: councilID, openCasesLimit: openCasesLimit)
    }

    public func create(_ council: NewCouncil) async throws -> Council {
        try council.validate()
        do { return try await councils.create(council) } catch let error as CouncilStore.WriteError { throw Self.conflict(error) }
    }

    /// Stores `council` as changed; routing reads councils, so the process's catalogue is
    /// emptied at once (other processes hear of it through the database's notification).
    public func update(_ council: Council) async throws -> Council {
        do {
            let updated = try await councils.update(council)
            caches.changed("catalogue")
            return updated
        } catch let error as CouncilStore.WriteError {
            throw Self.conflict(error)
        }
    }

    /// Checks a GeoJSON geometry and makes it the council's boundary; returns the council as it
    /// now stands with the vertex count and any warnings (rings rewound).
    public func replaceBoundary(
        of council: Council,
        geometryJSON: String
    ) async throws -> (
        Council, vertices: Int, warnings: [String]
    ) {
        do {
            let checked = try await boundaries.replace(councilID: council.id, geometryJSON: geometryJSON)
            let updated = try await councils.find(id: council.id) ?? council
            caches.changed("catalogue")
            return (updated, checked.vertices, checked.warnings)
        } catch let invalid as BoundaryStore.Invalid {
            throw InvalidBoundary(reason: invalid.reason)
        }
    }

    static func conflict(_ error: CouncilStore.WriteError) -> Conflict {
        switch error {
        case .slugTaken: .slugTaken
        case .codeTaken: .codeTaken
        }
    }
}
