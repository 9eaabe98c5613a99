import Foundation
import IntakeCore
import IntakeStorage

/// The Open311 facade's reads: requests with their latest public note, and service request
/// updates in a window.
public struct Open311Service: Sendable {
    let store: Open311Store

    public func requests(_ filter: Open311Store.RequestFilter) async throws -> [(Report, statusNote: String?)] {
        try await store.requests(filter)
    }

    public func updates(councilID: UUID?, since: Date, until: Date, limit: Int) async throws -> [Open311Store.Update] {
        try await store.updates(councilID: councilID, since: since, until: until, limit: limit)
    }
}
