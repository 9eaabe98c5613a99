import Foundation
import IntakeCore
import IntakeStorage

/// Councils' categories (what may be reported where, with its questions) and the services at a
/// point. A change empties the process's routing catalogue at once.
public struct CatalogueService: Sendable {
    let categories: CategoryStore
    let catalogue: RoutingCatalogue
    let caches: ProcessCaches

    /// Another category of the council has this code.
    public struct CodeTaken: Error, Equatable {}

    public func list(councilID: UUID, includeRetired: Bool) async throws -> [Category] {
        try await categories.list(councilID: councilID, includeRetired: includeRetired)
    }

    public func find(code: String, councilID: UUID) async throws -> Category? {
        try await categories.find(code: code, councilID: councilID)
    }

    public func create(_ definition: CategoryDefinition, councilID: UUID) async throws -> Category {
        do {
            let created = try await categories.create(definition, councilID: councilID)
            caches.changed("catalogue")
            return created
        } catch CategoryStore.WriteError.codeTaken {
            throw CodeTaken()
        }
    }

    public func update(_ definition: CategoryDefinition, councilID: UUID) async throws -> Category? {
        let updated = try await categories.update(definition, councilID: councilID)
        if updated != nil { caches.changed("catalogue") }
        return updated
    }

    public func retire(code: String, councilID: UUID) async throws -> Category? {
        let retired = try await categories.retire(code: code, councilID: councilID)
        if retired != nil { caches.changed("catalogue") }
        return retired
    }

    /// The councils covering a point and the categories each takes there.
    public func services(at point: LatLon) async throws -> RoutingCatalogue.ServicesAtPoint {
        try await catalogue.services(at: point)
    }

    /// A council's categories that take reports now.
    public func activeCategories(of councilID: UUID) async throws -> [Category] {
        try await catalogue.activeCategories(of: councilID)
    }
}
