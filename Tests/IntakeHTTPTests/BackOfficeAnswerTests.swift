import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Councils answering cases: acknowledgement and status changes, on the timeline.
@Suite struct BackOfficeAnswerTests {
    static func timeline(_ client: any TestClientProtocol, _ id: UUID, _ headers: HTTPFields = [:]) async throws -> [[String: Any]] {
        try await client.execute(uri: "/v1/reports/\(id.uuidString.lowercased())/timeline", method: .get, headers: headers) {
            $0.json["events"] as? [[String: Any]] ?? []
        }
    }

    @Test func aStatusChangeLandsOnTheTimelineWithTheInternalNoteKeptInside() async throws {
        try await withApp { client, testDB in
            let reportID = try await PullQueueTests.seeded(testDB)[0]
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let uri = "/v1/backoffice/cases/\(reportID.uuidString.lowercased())/status"
            let (status, report) = try await PullQueueTests.post(
                client,
                uri,
                key,
                #"{"status": "action_scheduled", "public_note": "Crew booked for Tuesday.", "internal_note": "Ticket 88, crew B", "expected_at": "2026-12-01T10:00:00Z"}"#
            )
            #expect(status == .ok)
            #expect(report["status"] as? String == "action_scheduled")
            #expect(report["open"] as? Bool == true)
            #expect(report["expected_at"] as? String == "2026-12-01T10:00:00Z")

            let publicEvents = try await Self.timeline(client, reportID)
            let change = try #require(publicEvents.last)
            #expect(change["kind"] as? String == "status_changed")
            #expect(change["status"] as? String == "action_scheduled")
            #expect(change["public_note"] as? String == "Crew booked for Tuesday.")
            #expect(change["internal_note"] == nil)
            #expect(change["actor"] as? String == "council")
            let councilEvents = try await Self.timeline(client, reportID, key)
            #expect(councilEvents.last?["internal_note"] as? String == "Ticket 88, crew B")
            // The public view of the report shows the expected date too.
            let publicReport = try await client.execute(uri: "/v1/reports/\(reportID.uuidString.lowercased())", method: .get) { $0.json }
            #expect(publicReport["status"] as? String == "action_scheduled")
        }
    }

    @Test func aClosedCaseCanOnlyBeReopened() async throws {
        try await withApp { client, testDB in
            let reportID = try await PullQueueTests.seeded(testDB)[0]
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let uri = "/v1/backoffice/cases/\(reportID.uuidString.lowercased())/status"
            let (closed, report) = try await PullQueueTests.post(client, uri, key, #"{"status": "fixed", "public_note": "Cleared."}"#)
            #expect(closed == .ok)
            #expect(report["open"] as? Bool == false)
            #expect(report["closed_at"] != nil)

            let (refused, problem) = try await PullQueueTests.post(client, uri, key, #"{"status": "in_progress"}"#)
            #expect(refused == .unprocessableContent)
            #expect(problem["code"] as? String == "invalid_status_transition")
            #expect(problem["allowed"] as? [String] == ["reopen"])
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/status")

            let (reopened, again) = try await PullQueueTests.post(client, uri, key, #"{"status": "reopen"}"#)
            #expect(reopened == .ok)
            #expect(again["open"] as? Bool == true)
            #expect(again["closed_at"] == nil)
        }
    }

    @Test func repeatingTheCurrentStatusWithoutNotesChangesNothing() async throws {
        try await withApp { client, testDB in
            let reportID = try await PullQueueTests.seeded(testDB)[0]
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let uri = "/v1/backoffice/cases/\(reportID.uuidString.lowercased())/status"
            #expect(try await PullQueueTests.post(client, uri, key, #"{"status": "investigating"}"#).0 == .ok)
            let before = try await Self.timeline(client, reportID).count
            #expect(try await PullQueueTests.post(client, uri, key, #"{"status": "investigating"}"#).0 == .ok)
            #expect(try await Self.timeline(client, reportID).count == before)
            // The same status with a note records the note.
            #expect(try await PullQueueTests.post(client, uri, key, #"{"status": "investigating", "public_note": "Still looking."}"#).0 == .ok)
            #expect(try await Self.timeline(client, reportID).count == before + 1)
            let (bad, problem) = try await PullQueueTests.post(client, uri, key, #"{"status": "sorted"}"#)
            #expect(bad.code == 400 || bad.code == 422)
            #expect(problem["code"] != nil)
        }
    }

    @Test func anAcknowledgementRecordsTheCouncilsReferenceOnce() async throws {
        try await withApp { client, testDB in
            let reportID = try await PullQueueTests.seeded(testDB)[0]
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let uri = "/v1/backoffice/cases/\(reportID.uuidString.lowercased())/acknowledge"
            let (status, report) = try await PullQueueTests.post(client, uri, key, #"{"external_reference": "CRM-2024-118"}"#)
            #expect(status == .ok)
            #expect(report["external_reference"] as? String == "CRM-2024-118")
            #expect(try await PullQueueTests.post(client, uri, key, #"{"external_reference": "CRM-2024-118"}"#).0 == .ok)
            let kinds = try await Self.timeline(client, reportID).compactMap { $0["kind"] as? String }
            #expect(kinds.filter { $0 == "acknowledged" }.count == 1)
            // The reference is for the council; the public sees that it was acknowledged, not the number.
            let publicReport = try await client.execute(uri: "/v1/reports/\(reportID.uuidString.lowercased())", method: .get) { $0.json }
            #expect(publicReport["external_reference"] == nil)

            let (empty, problem) = try await PullQueueTests.post(client, uri, key, #"{"external_reference": "  "}"#)
            #expect(empty == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/external_reference")
            let missing = "/v1/backoffice/cases/\(UUID().uuidString)/acknowledge"
            #expect(try await PullQueueTests.post(client, missing, key, #"{"external_reference": "A"}"#).0 == .notFound)
        }
    }
}
