import Foundation
import IntakeCore
import IntakeServices
import IntakeStorage

/// The `servicerequestupdates` extension every UK FixMyStreet install uses: councils' status
/// changes out (GET, by time window), reporters' updates in (POST).
extension Open311Facade {
    static let maxUpdates = 1000

    func updates(_ format: Open311Format, _ query: Open311Form) async throws -> Open311Reply {
        // A read: counted by address with the other public reads, not as a write.
        _ = try await requireClient(query, countsAsWrite: false)
        let council = try await jurisdiction(query)
        let end = try query.value("end_date").map { try Self.date($0, field: "end_date") } ?? Date()
        let start = try query.value("start_date").map { try Self.date($0, field: "start_date") } ?? end.addingTimeInterval(-2 * 3600)
        guard start <= end else { throw Open311Failure.badRequest("end_date is before start_date.") }
        guard end.timeIntervalSince(start) <= Self.maxWindow else {
            throw Open311Failure.badRequest("start_date and end_date may be at most 90 days apart.")
        }
        let found = try await store.updates(councilID: council?.id, since: start, until: end, limit: Self.maxUpdates)
        return Open311Reply(
            root: "service_request_updates",
            node: .list(
                item: "request_update",
                found.map { update in
                    .record([
                        ("update_id", .text(String(update.eventID))),
                        ("service_request_id", .text(update.reportID.uuidString.lowercased())),
                        ("status", .text(update.status.rawValue)),
                        ("description", .text(update.note ?? "")),
                        ("updated_datetime", .date(update.at)),
                        ("media_url", .text(nil)),
                        ("external_status_code", .text(nil)),
                        ("customer_reference", .text(update.externalReference)),
                    ])
                }
            )
        )
    }

    /// A reporter's update sent on by a client: a public comment on the timeline (and a
    /// `case.comment` to the council). The status a client sends is not applied — the council
    /// decides statuses — but a status-only update is recorded in words. `update_id` makes a
    /// resend return the first answer.
    func createUpdate(_ format: Open311Format, _ form: Open311Form) async throws -> Open311Reply {
        let principal = try await requireClient(form)
        guard let id = form.value("service_request_id") else { throw Open311Failure.badRequest("service_request_id is required.") }
        guard let reportID = UUID(uuidString: id), try await reports.find(id: reportID) != nil else {
            throw Open311Failure.notFound("No service request has the id '\(id)'.")
        }
        let status = form.value("status")?.lowercased()
        guard let comment = form.text("description") ?? status.map({ "The reporter marked this \($0.replacingOccurrences(of: "_", with: " "))." })
        else { throw Open311Failure.badRequest("description is required.") }
        guard comment.unicodeScalars.count <= ReportRules.maxDescription else {
            throw Open311Failure.badRequest("description must be at most \(ReportRules.maxDescription) characters.")
        }
        let scope = form.value("update_id").map {
            IdempotencyStore.Scope(
                clientKeyID: principal.keyID,
                operation: "POST /open311/v2/servicerequestupdates",
                key: String($0.prefix(255)),
                requestHash: Secrets.sha256(Self.fingerprint(form))
            )
        }
        return try await idempotent.run(scope) { _, stored in
            updateCreated(String(decoding: stored, as: UTF8.self))
        } _: {
            let photos = try await storePhotos(form.files, principal: principal)
            let events = try await reports.addUpdate(reportID: reportID, comment: comment, photoIDs: photos) { events, connection in
                guard let scope else { return }
                try await IdempotencyStore.record(
                    scope,
                    status: 200,
                    body: Data(String(events.first?.id ?? 0).utf8),
                    on: connection,
                    logger: Self.logger
                )
            }
            return updateCreated(String(events.first?.id ?? 0))
        }
    }

    func updateCreated(_ id: String) -> Open311Reply {
        Open311Reply(root: "service_request_updates", node: .list(item: "request_update", [.record([("update_id", .text(id))])]))
    }
}
