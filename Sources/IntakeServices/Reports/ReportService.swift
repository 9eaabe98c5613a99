import Foundation
import IntakeCore
import IntakeStorage
import PostgresNIO

/// Reports after intake: public reads (listing, nearby, one report and its timeline), the
/// reporter's updates and erasure, and the back office's acknowledgements and status changes.
/// Intake itself is `IntakeService`.
public struct ReportService: Sendable {
    let reports: ReportStore

    public func list(_ query: ReportQuery) async throws -> ReportStore.Page { try await reports.list(query) }

    public func statusCounts(_ query: ReportQuery) async throws -> [ReportStatus: Int] { try await reports.statusCounts(query) }

    /// Open reports of a category within `radiusMetres` of a point, nearest first, with their
    /// distances in metres.
    public func nearby(
        _ point: LatLon,
        categoryCode: String,
        radiusMetres: Int,
        days: Int,
        limit: Int = 20
    ) async throws
        -> [(Report, Double)]
    {
        try await reports.nearby(point, categoryCode: categoryCode, radiusMetres: radiusMetres, days: days, limit: limit)
    }

    /// The report and its tracking token's hash (the caller checks a presented token).
    public func find(id: UUID) async throws -> (Report, tokenHash: [UInt8])? { try await reports.find(id: id) }

    public func timeline(reportID: UUID) async throws -> [TimelineEvent] { try await reports.timeline(reportID: reportID) }

    /// A reporter's comment and photos; `beforeCommit` runs in the same transaction (the
    /// Idempotency-Key's recording).
    public func addUpdate(
        reportID: UUID,
        comment: String?,
        photoIDs: [UUID],
        beforeCommit: @escaping @Sendable ([TimelineEvent], PostgresConnection) async throws -> Void = { _, _ in }
    ) async throws -> [TimelineEvent] {
        try await reports.addUpdate(reportID: reportID, comment: comment, photoIDs: photoIDs, beforeCommit: beforeCommit)
    }

    /// False when there is no such report.
    public func eraseContact(reportID: UUID) async throws -> Bool { try await reports.eraseContact(reportID: reportID) }

    public func acknowledge(reportID: UUID, councilID: UUID?, externalReference: String) async throws -> Report? {
        try await reports.acknowledge(reportID: reportID, councilID: councilID, externalReference: externalReference)
    }

    public func changeStatus(
        reportID: UUID,
        councilID: UUID?,
        _ change: ReportStore.StatusChange
    ) async throws
        -> (Report, TimelineEvent?)?
    {
        try await reports.changeStatus(reportID: reportID, councilID: councilID, change)
    }
}
