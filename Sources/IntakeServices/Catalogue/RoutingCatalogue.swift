import Foundation
import IntakeCore
import IntakeStorage

/// Which councils cover a point and which of them handles each category there: the boundary
/// test in PostgreSQL (prepared), the councils' categories from the process's cache.
///
/// Among the councils covering a point (most local tier first, then the smaller area, then the
/// slug), each category code goes to the first council whose catalogue has it.
public struct RoutingCatalogue: Sendable {
    let routing: RoutingStore
    let cache: ProcessCache<UUID, [Category]>

    public init(routing: RoutingStore, caches: ProcessCaches) {
        self.routing = routing
        self.cache = caches.catalogue
    }

    public struct ServicesAtPoint: Sendable {
        /// Every council whose boundary covers the point, most local first.
        public var councils: [CouncilRef]
        /// One category per code, sorted by code: the one of the council responsible for it here.
        public var services: [Category]
    }

    /// Forgets this process's copy (a write found it out of date).
    public func forget() { cache.invalidate() }

    /// One council's active categories, sorted by code.
    public func activeCategories(of councilID: UUID) async throws -> [Category] {
        try await cache.value(for: councilID) { try await routing.activeCategories(councilIDs: [councilID])[councilID] ?? [] }
    }

    public func services(at point: LatLon) async throws -> ServicesAtPoint {
        let councils = try await routing.councilsCovering(point)
        guard !councils.isEmpty else { return ServicesAtPoint(councils: [], services: []) }
        let byCouncil = try await cache.values(for: councils.map(\.id)) { try await routing.activeCategories(councilIDs: $0) }
        var seen = Set<String>()
        var services: [Category] = []
        for council in councils {
            for category in byCouncil[council.id] ?? [] where seen.insert(category.code).inserted {
                services.append(category)
            }
        }
        services.sort { $0.code < $1.code }
        return ServicesAtPoint(councils: councils, services: services)
    }
}
