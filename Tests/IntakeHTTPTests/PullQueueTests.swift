import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// The SQS-shaped pull API back offices read their council's queue with.
@Suite struct PullQueueTests {
    static func seeded(_ testDB: TestDatabase, reports: Int = 1) async throws -> [UUID] {
        try await testDB.withDatabase(poolSize: 2) { database in
            try await DispatchFixtures.seed(database)
            var ids: [UUID] = []
            for index in 0..<reports { ids.append(try await DispatchFixtures.report(database, description: "Report \(index)")) }
            return ids
        }
    }

    static func post(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ headers: HTTPFields,
        _ body: String = "{}"
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: uri,
            method: .post,
            headers: headers.merging([.contentType: "application/json"]),
            body: ByteBuffer(string: body)
        ) { ($0.status, $0.body.readableBytes == 0 ? [:] : $0.json) }
    }

    static func receive(
        _ client: any TestClientProtocol,
        _ headers: HTTPFields,
        _ body: String = #"{"max_messages": 10}"#
    )
        async throws -> [[String: Any]]
    {
        let (status, json) = try await post(client, "/v1/backoffice/queues/cases/receive", headers, body)
        #expect(status == .ok)
        return json["messages"] as? [[String: Any]] ?? []
    }

    static func ack(
        _ client: any TestClientProtocol,
        _ headers: HTTPFields,
        _ message: [String: Any]
    ) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        let id = message["message_id"] as! String
        let handle = message["receipt_handle"] as! String
        return try await post(client, "/v1/backoffice/queues/cases/messages/\(id)/ack", headers, #"{"receipt_handle": "\#(handle)"}"#)
    }

    static func queueFigures(_ client: any TestClientProtocol, _ headers: HTTPFields) async throws -> [String: Any] {
        try await client.execute(uri: "/v1/backoffice/queues", method: .get, headers: headers) { response in
            let queues = response.json["queues"] as? [[String: Any]] ?? []
            return queues.first(where: { $0["name"] as? String == "cases" })?["queue"] as? [String: Any] ?? [:]
        }
    }

    @Test func aBackOfficeReceivesTheCaseWithContactDetailsAndAcknowledgesIt() async throws {
        try await withApp(configure: { $0.publicBaseURL = "https://intake.example" }) { client, testDB in
            let reportID = try await Self.seeded(testDB)[0]
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            #expect(try await Self.queueFigures(client, key)["depth"] as? Int == 1)

            let messages = try await Self.receive(client, key)
            try #require(messages.count == 1)
            let message = messages[0]
            #expect(message["receive_count"] as? Int == 1)
            #expect(message["event_type"] as? String == "case.created")
            let payload = try #require(message["payload"] as? [String: Any])
            #expect(payload["message_id"] as? String == message["message_id"] as? String)
            #expect(payload["type"] as? String == "case.created")
            let item = try #require(payload["case"] as? [String: Any])
            #expect(item["id"] as? String == reportID.uuidString.lowercased())
            #expect((item["reporter"] as? [String: Any])?["email"] as? String == "harding@example.org")
            #expect((item["attributes"] as? [String: Any])?["waste_type"] as? String == "household")

            // Hidden while received: not handed out again, counted in flight.
            #expect(try await Self.receive(client, key).isEmpty)
            let figures = try await Self.queueFigures(client, key)
            #expect(figures["depth"] as? Int == 0)
            #expect(figures["in_flight"] as? Int == 1)

            #expect(try await Self.ack(client, key, message).0 == .noContent)
            #expect(try await Self.ack(client, key, message).0 == .noContent)
            #expect(try await Self.queueFigures(client, key)["in_flight"] as? Int == 0)
            let kinds = try await testDB.withDatabase(poolSize: 1) { database in
                try await ReportStore(database: database, logger: .quiet).timeline(reportID: reportID).map(\.kind.rawValue)
            }
            #expect(kinds == ["created", "routed", "dispatched"])
        }
    }

    @Test func anOldReceiptHandleCannotAcknowledge() async throws {
        try await withApp { client, testDB in
            _ = try await Self.seeded(testDB)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let first = try #require(try await Self.receive(client, key, #"{"visibility_timeout": 1}"#).first)
            try await Task.sleep(for: .milliseconds(1300))
            let second = try #require(try await Self.receive(client, key).first)
            #expect(second["message_id"] as? String == first["message_id"] as? String)
            #expect(second["receive_count"] as? Int == 2)
            #expect(second["receipt_handle"] as? String != first["receipt_handle"] as? String)

            let (status, problem) = try await Self.ack(client, key, first)
            #expect(status == .conflict)
            #expect(problem["code"] as? String == "stale_receipt_handle")
            #expect(try await Self.ack(client, key, second).0 == .noContent)
        }
    }

    @Test func visibilityCanBeChangedAndZeroReturnsTheMessageAtOnce() async throws {
        try await withApp { client, testDB in
            _ = try await Self.seeded(testDB)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let message = try #require(try await Self.receive(client, key).first)
            let id = message["message_id"] as! String
            let handle = message["receipt_handle"] as! String
            let uri = "/v1/backoffice/queues/cases/messages/\(id)/visibility"
            #expect(try await Self.post(client, uri, key, #"{"receipt_handle": "\#(handle)", "visibility_timeout": 600}"#).0 == .noContent)
            #expect(try await Self.receive(client, key).isEmpty)
            #expect(try await Self.post(client, uri, key, #"{"receipt_handle": "\#(handle)", "visibility_timeout": 0}"#).0 == .noContent)
            let again = try #require(try await Self.receive(client, key).first)
            #expect(again["message_id"] as? String == id)
            let (stale, problem) = try await Self.post(client, uri, key, #"{"receipt_handle": "\#(handle)", "visibility_timeout": 30}"#)
            #expect(stale == .conflict)
            #expect(problem["code"] as? String == "stale_receipt_handle")
        }
    }

    @Test func aCasesMessagesComeOneAtATimeInOrder() async throws {
        try await withApp { client, testDB in
            let reportID = try await Self.seeded(testDB)[0]
            try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.comment(database, reportID, "There is more now.")
            }
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let first = try await Self.receive(client, key)
            #expect(first.map { $0["event_type"] as? String } == ["case.created"])
            #expect(try await Self.receive(client, key).isEmpty)
            #expect(try await Self.ack(client, key, first[0]).0 == .noContent)
            let second = try await Self.receive(client, key)
            #expect(second.map { $0["event_type"] as? String } == ["case.comment"])
            let event = (second.first?["payload"] as? [String: Any])?["event"] as? [String: Any]
            #expect(event?["public_note"] as? String == "There is more now.")
        }
    }

    @Test func afterTooManyReceivesAMessageIsDeadUntilRedriven() async throws {
        try await withApp { client, testDB in
            let reportID = try await Self.seeded(testDB)[0]
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let patched = try await client.execute(
                uri: "/v1/councils/barchester/destinations/cases",
                method: .patch,
                headers: key.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"max_attempts": 2}"#)
            ) { $0.status }
            #expect(patched == .ok)
            for _ in 0..<2 { #expect(try await Self.receive(client, key, #"{"visibility_timeout": 0}"#).count == 1) }
            #expect(try await Self.receive(client, key).isEmpty)

            let dead = try await client.execute(uri: "/v1/backoffice/queues/cases/dead", method: .get, headers: key) {
                $0.json["messages"] as? [[String: Any]] ?? []
            }
            try #require(dead.count == 1)
            #expect(dead[0]["case_id"] as? String == reportID.uuidString.lowercased())
            #expect(dead[0]["attempts"] as? Int == 2)
            #expect(try await Self.queueFigures(client, key)["dead"] as? Int == 1)
            let id = dead[0]["message_id"] as! String
            #expect(try await Self.post(client, "/v1/backoffice/queues/cases/dead/\(id)/redrive", key).0 == .noContent)
            let (again, problem) = try await Self.post(client, "/v1/backoffice/queues/cases/dead/\(id)/redrive", key)
            #expect(again == .conflict)
            #expect(problem["code"] as? String == "not_dead")
            let back = try #require(try await Self.receive(client, key).first)
            #expect(back["message_id"] as? String == id)
            #expect(back["receive_count"] as? Int == 1)
        }
    }

    @Test func aBatchAcknowledgementReportsEachEntry() async throws {
        try await withApp { client, testDB in
            _ = try await Self.seeded(testDB, reports: 3)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let messages = try await Self.receive(client, key)
            try #require(messages.count == 3)
            let entries =
                messages.prefix(2).map { #"{"message_id": "\#($0["message_id"]!)", "receipt_handle": "\#($0["receipt_handle"]!)"}"# }
                + [
                    #"{"message_id": "\#(messages[2]["message_id"]!)", "receipt_handle": "\#(UUID().uuidString)"}"#,
                    #"{"message_id": "\#(UUID().uuidString)", "receipt_handle": "\#(UUID().uuidString)"}"#,
                ]
            let (status, result) = try await Self.post(
                client,
                "/v1/backoffice/queues/cases/ack",
                key,
                #"{"entries": [\#(entries.joined(separator: ","))]}"#
            )
            #expect(status == .ok)
            #expect((result["acknowledged"] as? [String])?.count == 2)
            let codes = (result["failed"] as? [[String: Any]])?.compactMap { $0["code"] as? String }.sorted()
            #expect(codes == ["not_found", "stale_receipt_handle"])
        }
    }

    @Test func aLongPollReturnsWhenAMessageArrives() async throws {
        try await withApp { client, testDB in
            _ = try await Self.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            async let waited = Self.receive(client, key, #"{"wait_seconds": 10}"#)
            try await Task.sleep(for: .milliseconds(400))
            try await testDB.withDatabase(poolSize: 1) { database in _ = try await DispatchFixtures.report(database) }
            #expect(try await waited.count == 1)
            // Without a message the call waits out its time and answers with none.
            let started = ContinuousClock.now
            #expect(try await Self.receive(client, key, #"{"wait_seconds": 1}"#).isEmpty)
            #expect(ContinuousClock.now - started >= .milliseconds(900))
        }
    }

    @Test(arguments: [
        (#"{"max_messages": 11}"#, "/max_messages"), (#"{"max_messages": 0}"#, "/max_messages"),
        (#"{"wait_seconds": 21}"#, "/wait_seconds"), (#"{"visibility_timeout": -1}"#, "/visibility_timeout"),
        (#"{"visibility_timeout": 43201}"#, "/visibility_timeout"),
    ])
    func receiveParametersOutOfRangeAreNamed(body: String, pointer: String) async throws {
        try await withApp { client, testDB in
            _ = try await Self.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            let (status, problem) = try await Self.post(client, "/v1/backoffice/queues/cases/receive", key, body)
            #expect(status == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == pointer)
        }
    }

    @Test func anotherCouncilsKeyFindsNothingOfThisCouncil() async throws {
        try await withApp { client, testDB in
            let reportID = try await Self.seeded(testDB)[0]
            let barchester = try await bearer(testDB, role: .backoffice, council: "barchester")
            let plumstead = try await bearer(testDB, role: .backoffice, council: "plumstead")
            let message = try #require(try await Self.receive(client, barchester, #"{"visibility_timeout": 0}"#).first)
            let id = message["message_id"] as! String

            #expect(try await Self.receive(client, plumstead).isEmpty)
            #expect(try await Self.ack(client, plumstead, message).0 == .notFound)
            let visibility = #"{"receipt_handle": "\#(message["receipt_handle"]!)", "visibility_timeout": 0}"#
            #expect(try await Self.post(client, "/v1/backoffice/queues/cases/messages/\(id)/visibility", plumstead, visibility).0 == .notFound)
            #expect(try await Self.post(client, "/v1/backoffice/queues/cases/dead/\(id)/redrive", plumstead).0 == .notFound)
            #expect(try await Self.post(client, "/v1/backoffice/queues/nope/receive", barchester).0 == .notFound)
            let caseURI = "/v1/backoffice/cases/\(reportID.uuidString.lowercased())"
            #expect(try await Self.post(client, caseURI + "/acknowledge", plumstead, #"{"external_reference": "X"}"#).0 == .notFound)
            #expect(try await Self.post(client, caseURI + "/status", plumstead, #"{"status": "fixed"}"#).0 == .notFound)
            for uri in [
                "/v1/councils/barchester/destinations", "/v1/councils/barchester/destinations/cases",
                "/v1/councils/barchester/destinations/cases/attempts", "/v1/councils/barchester/destinations/cases/dead",
            ] {
                #expect(try await client.execute(uri: uri, method: .get, headers: plumstead) { $0.status } == .notFound)
            }
            // Queues are for back-office keys only.
            for role in [Role.admin, .client] {
                let key = try await bearer(testDB, role: role)
                #expect(try await client.execute(uri: "/v1/backoffice/queues", method: .get, headers: key) { $0.status } == .forbidden)
            }
            #expect(try await client.execute(uri: "/v1/backoffice/queues", method: .get) { $0.status } == .unauthorized)
        }
    }

    @Test func queueFiguresAreExportedAsMetrics() async throws {
        try await withApp { client, testDB in
            _ = try await Self.seeded(testDB, reports: 2)
            let text = try await client.execute(uri: "/metrics", method: .get, headers: try await bearer(testDB, role: .admin)) { $0.text }
            let line = text.split(separator: "\n").first {
                $0.hasPrefix("intake_dispatch_queue_depth") && $0.contains(#"council="barchester""#) && $0.contains(#"destination="cases""#)
            }
            #expect(line?.hasSuffix(" 2") == true || line?.hasSuffix(" 2.0") == true)
            #expect(text.contains("intake_dispatch_oldest_job_age_seconds"))
            #expect(text.contains("intake_dispatch_dead_jobs"))
        }
    }
}
