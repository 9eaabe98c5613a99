import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// Delivery to a council's Open311 server (a real local one), the way FixMyStreet posts.
@Suite(.timeLimit(.minutes(3))) struct Open311DeliveryTests {
    static let xmlHeader = #"<?xml version="1.0" encoding="utf-8"?>"#

    @Test func aCaseIsPostedAsAServiceRequestAndItsUpdatesFollow() async throws {
        try await DispatchWorld.run(respond: { request, _ in
            if request.path.hasSuffix("/requests.xml") {
                return .init(
                    status: 200,
                    body: Self.xmlHeader + "<service_requests><request><service_request_id>BAR/77</service_request_id></request></service_requests>",
                    headers: ["Content-Type": "text/xml"]
                )
            }
            return .init(
                status: 200,
                body: Self.xmlHeader + "<service_request_updates><request_update><update_id>9</update_id></request_update></service_request_updates>"
            )
        }) { world in
            try await DispatchFixtures.barchesterDestination(
                world.database,
                kind: .open311,
                url: world.receiver.url + "/open311/v2",
                apiKey: "council-key"
            )
            let reportID = try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)

            let post = try #require(world.receiver.requests.first)
            #expect(post.method == "POST")
            #expect(post.path == "/open311/v2/requests.xml")
            #expect(post.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(post.formValue("api_key") == "council-key")
            #expect(post.formValue("service_code") == "fly_tipping")
            #expect(post.formValue("lat") == "52.300000")
            #expect(post.formValue("long") == "-1.900000")
            #expect(post.formValue("first_name") == "Septimus")
            #expect(post.formValue("last_name") == "Harding")
            #expect(post.formValue("email") == "harding@example.org")
            #expect(post.formValue("attribute[waste_type]") == "household")
            #expect(post.formValue("address_string") == "Cathedral Close, Barchester")
            let report = try #require(try await ReportStore(database: world.database, logger: .quiet).find(id: reportID)).0
            #expect(report.externalReference == "BAR/77")

            try await DispatchFixtures.comment(world.database, reportID, "Still there & growing.")
            #expect(try await world.dispatcher.runOnce() == 1)
            let update = world.receiver.requests[1]
            #expect(update.path == "/open311/v2/servicerequestupdates.xml")
            #expect(update.formValue("service_request_id") == "BAR/77")
            #expect(update.formValue("description") == "Still there & growing.")
            #expect(update.formValue("status") == "OPEN")
            let messageID = try #require(
                try await world.scalar(
                    "SELECT message_id::text FROM dispatch_jobs WHERE event_type = 'case.comment'",
                    as: String.self
                )
            )
            #expect(update.formValue("update_id") == messageID)
            #expect(try await world.jobStates() == ["done", "done"])
        }
    }

    @Test func aTokenIsResolvedInsteadOfPostingAgain() async throws {
        try await DispatchWorld.run(respond: { request, _ in
            if request.path.hasSuffix("/requests.xml") {
                return .init(status: 200, body: Self.xmlHeader + "<service_requests><request><token>tok-42</token></request></service_requests>")
            }
            return .init(
                status: 200,
                body: Self.xmlHeader
                    + "<service_requests><request><service_request_id>CONF-1001</service_request_id><token>tok-42</token></request></service_requests>"
            )
        }) { world in
            try await DispatchFixtures.barchesterDestination(world.database, kind: .open311, url: world.receiver.url + "/")
            let reportID = try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            #expect(try await world.jobStates() == ["pending"])
            #expect(try await world.scalar("SELECT open311_token FROM dispatch_jobs", as: String.self) == "tok-42")

            try await DispatchFixtures.makeDue(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let requests = world.receiver.requests
            #expect(requests.map(\.path) == ["/requests.xml", "/tokens/tok-42.xml"])
            #expect(requests[1].method == "GET")
            #expect(try await world.jobStates() == ["done"])
            let report = try #require(try await ReportStore(database: world.database, logger: .quiet).find(id: reportID)).0
            #expect(report.externalReference == "CONF-1001")
        }
    }

    @Test func anErrorAnswerIsKeptAsTheReason() async throws {
        try await DispatchWorld.run(respond: { _, _ in
            .init(
                status: 400,
                body: Self.xmlHeader + "<errors><error><code>400</code><description>service_code not found</description></error></errors>"
            )
        }) { world in
            let destination = try await DispatchFixtures.barchesterDestination(world.database, kind: .open311, url: world.receiver.url)
            try await DispatchFixtures.report(world.database)
            #expect(try await world.dispatcher.runOnce() == 1)
            let attempts = try await DestinationStore(database: world.database, logger: .quiet).attempts(destinationID: destination.id, limit: 5)
            #expect(attempts.first?.statusCode == 400)
            #expect(attempts.first?.responseExcerpt?.contains("service_code not found") == true)
            #expect(try await world.jobStates() == ["pending"])
        }
    }
}
