import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeServices
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Reporters told what happened, through the council's GOV.UK Notify service (a local fake that
/// checks tokens and bodies as Notify does), by the worker's outbox: the whole path from an API
/// call to the request Notify receives, and Notify's callbacks back.
@Suite struct NotificationTests {
    /// A distinct template per message, so each test sees which one was used.
    static let templates: [NotifySettings.Template: String] = Dictionary(
        uniqueKeysWithValues: NotifySettings.Template.allCases.enumerated().map {
            ($0.element, "00000000-0000-4000-8000-00000000000\($0.offset + 1)")
        }
    )
    static let callbackToken = "notify-callback-token-0123"

    /// The app, a fake Notify, and the services a worker runs (driven pass by pass).
    struct World: Sendable {
        let client: any TestClientProtocol
        let testDB: TestDatabase
        let notify: FakeNotify
        let services: AppServices
        let staff: HTTPFields
        let app: HTTPFields

        /// One worker pass, as many times as there is something to send.
        func deliver() async throws {
            while try await services.dispatchOnce() > 0 {}
        }

        func post(_ uri: String, _ headers: HTTPFields, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
            try await PullQueueTests.post(client, uri, headers, body)
        }

        func get(_ url: String) async throws -> (HTTPResponse.Status, [String: Any]) {
            let path = url.replacingOccurrences(of: services.config.publicBaseURL, with: "")
            return try await client.execute(uri: path, method: .get) { ($0.status, $0.body.readableBytes == 0 ? [:] : $0.json) }
        }

        /// A report through the API, with the reporter's contact details.
        func report(
            email: String? = "harding@example.org",
            phone: String? = nil,
            notify: Bool? = nil,
            lat: Double = 52.3,
            lon: Double = -1.9
        )
            async throws -> String
        {
            var reporter: [String] = [#""name": "Septimus Harding""#]
            if let email { reporter.append(#""email": "\#(email)""#) }
            if let phone { reporter.append(#""phone": "\#(phone)""#) }
            let notifyField = notify.map { #", "notify": \#($0)"# } ?? ""
            let (status, json) = try await post(
                "/v1/reports",
                app,
                """
                {"category": "fly_tipping", "location": {"lat": \(lat), "lon": \(lon)}, "description": "Sofa dumped in the close.",
                 "attributes": {"waste_type": "household", "size": "car_boot"}, "reporter": {\(reporter.joined(separator: ", "))}\(notifyField)}
                """
            )
            #expect(status == .created, "\(json)")
            return try #require(json["id"] as? String)
        }

        func status(_ reportID: String, _ body: String) async throws {
            let (status, json) = try await post("/v1/backoffice/cases/\(reportID)/status", staff, body)
            #expect(status == .ok, "\(json)")
        }

        func settings(
            channels: [String] = ["email"],
            templates: [NotifySettings.Template: String] = NotificationTests.templates
        )
            async throws
        {
            let names = templates.map { #""\#($0.key.rawValue)": "\#($0.value)""# }.joined(separator: ", ")
            let list = channels.map { #""\#($0)""# }.joined(separator: ", ")
            let (status, json) = try await NotifySettingsTests.put(
                client,
                staff,
                #"{"api_key": "\#(FakeNotify.apiKey)", "templates": {\#(names)}, "channels": [\#(list)], "callback_token": "\#(NotificationTests.callbackToken)"}"#
            )
            #expect(status == .ok, "\(json)")
        }

        func callback(
            _ body: String,
            path: String = "",
            token: String? = NotificationTests.callbackToken
        ) async throws -> (
            HTTPResponse.Status, [String: Any]
        ) {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let token { headers[.authorization] = "Bearer \(token)" }
            return try await client.execute(
                uri: "/v1/notify-callbacks/barchester\(path)",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: body)
            ) { ($0.status, $0.json) }
        }

        func sql(_ query: String) async throws {
            try await testDB.withDatabase(poolSize: 1) { database in
                try await database.withConnection { connection in _ = try await connection.query(.init(unsafeSQL: query), logger: .quiet) }
            }
        }

        func count(_ query: String) async throws -> Int {
            try await testDB.withDatabase(poolSize: 1) { database in
                try await database.withConnection { connection in
                    for try await value in try await connection.query(.init(unsafeSQL: query), logger: .quiet).decode(Int.self) { return value }
                    return -1
                }
            }
        }
    }

    static func withWorld(logs: LogCapture? = nil, _ test: @escaping @Sendable (World) async throws -> Void) async throws {
        let notify = try await FakeNotify.start()
        let url = notify.url
        do {
            try await withApp(
                logs: logs,
                configure: {
                    $0.govukNotifyBaseURL = url
                    // Console sign-ins and resets in these tests hash at bcrypt's lowest cost.
                    $0.staffBcryptCost = 4
                    // Subscribers' webhooks in these tests are on loopback.
                    $0.allowPrivateDestinations = true
                    $0.allowHTTPDestinations = true
                }
            ) { client, testDB in
                _ = try await PullQueueTests.seeded(testDB, reports: 0)
                var config = IntakeConfig(database: testDB.settings, databaseAcquireTimeout: .seconds(10))
                config.secrets = TestSecrets.keyring
                config.govukNotifyBaseURL = url
                config.allowPrivateDestinations = true
                config.allowHTTPDestinations = true
                let finalConfig = config
                let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
                let app = try await bearer(testDB, role: .client)
                try await testDB.withDatabase(poolSize: 6, acquireTimeout: .seconds(10)) { database in
                    let services = AppServices(config: finalConfig, database: database, logger: .quiet)
                    try await test(World(client: client, testDB: testDB, notify: notify, services: services, staff: staff, app: app))
                }
            }
        } catch {
            await notify.stop()
            throw error
        }
        await notify.stop()
    }

    // MARK: Reporters

    @Test func theReporterHearsOfEachPublicEventFromTheRightTemplate() async throws {
        try await Self.withWorld { world in
            try await world.settings()
            let id = try await world.report()
            try await world.deliver()
            var sent = world.notify.notifications
            try #require(sent.count == 1)
            let received = sent[0]
            #expect(received.kind == "email")
            #expect(received.recipient == "harding@example.org")
            #expect(received.templateID == Self.templates[.reportReceived])
            #expect(received.text("reference")?.hasPrefix("FT-") == true)
            #expect(received.text("category") == "Fly-tipping")
            #expect(received.text("status") == "open")
            #expect(received.text("council") == "Barchester City Council")
            #expect(received.text("report_url") == "\(world.services.config.publicBaseURL)/v1/reports/\(id)")
            #expect(received.text("unsubscribe_url")?.contains("/v1/unsubscribe/") == true)
            // The reference Notify echoes in receipts is the message's id in our log.
            let log = try await world.services.notifications.log(reportID: UUID(uuidString: id))
            #expect(log.map(\.message) == ["report_received"])
            #expect(log.first?.id.uuidString.lowercased() == received.reference)
            #expect(log.first?.state == "sending")

            let (acknowledged, _) = try await world.post("/v1/backoffice/cases/\(id)/acknowledge", world.staff, #"{"external_reference": "CRM-1"}"#)
            #expect(acknowledged == .ok)
            // A new council reference is not news: one acknowledgement message only.
            let (again, _) = try await world.post("/v1/backoffice/cases/\(id)/acknowledge", world.staff, #"{"external_reference": "CRM-2"}"#)
            #expect(again == .ok)
            try await world.status(id, #"{"status": "in_progress", "public_note": "A crew is on the way."}"#)
            // Only an internal note at the same status: nothing the reporter needs to hear.
            try await world.status(id, #"{"status": "in_progress", "internal_note": "Crew B"}"#)
            try await world.status(id, #"{"status": "fixed", "public_note": "Cleared this morning."}"#)
            try await world.deliver()
            sent = world.notify.notifications
            #expect(sent.map(\.templateID) == [.reportReceived, .acknowledged, .statusChanged, .closed].map { Self.templates[$0] })
            #expect(sent[2].text("status") == "in progress")
            #expect(sent[2].text("public_note") == "A crew is on the way.")
            #expect(sent[3].text("status") == "fixed")
            #expect(sent[3].text("public_note") == "Cleared this morning.")
            #expect(sent.allSatisfy { $0.text("public_note") != "Crew B" })

            // Notify's delivery receipt lands on the message.
            let (status, result) = try await world.callback(
                #"{"id": "\#(received.id)", "reference": "\#(received.reference ?? "")", "to": "harding@example.org", "status": "delivered", "notification_type": "email"}"#
            )
            #expect(status == .ok)
            #expect(result["result"] as? String == "recorded")
            let states = try await world.services.notifications.log(reportID: UUID(uuidString: id)).map(\.state)
            #expect(states == ["delivered", "sending", "sending", "sending"])
            // The callback token is a secret: never shown, never in the audit log, sealed at rest.
            let settings = try await world.client.execute(uri: NotifySettingsTests.uri, method: .get, headers: world.staff) { $0.json }
            #expect(settings["callback_token_set"] as? Bool == true)
            #expect(settings["delivery_receipt_url"] as? String == "\(world.services.config.publicBaseURL)/v1/notify-callbacks/barchester")
            let admin = try await bearer(world.testDB, role: .admin)
            let audit = try await world.client.execute(uri: "/v1/audit?council=barchester", method: .get, headers: admin) { $0.text }
            #expect(audit.contains("notify_settings.put") && !audit.contains(Self.callbackToken))
            #expect(!(try await StoredSecrets.values(world.testDB)).joined().contains(Self.callbackToken))
        }
    }

    @Test func aReporterWhoOptedOutOrUnsubscribedHearsNothingMore() async throws {
        try await Self.withWorld { world in
            try await world.settings()
            let quiet = try await world.report(notify: false)
            let noAddress = try await world.report(email: nil)
            try await world.deliver()
            #expect(world.notify.notifications.isEmpty)
            try await world.status(quiet, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.status(noAddress, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.deliver()
            #expect(world.notify.notifications.isEmpty)

            let id = try await world.report()
            try await world.deliver()
            let link = try #require(world.notify.notifications.first?.text("unsubscribe_url"))
            let (status, json) = try await world.get(link)
            #expect(status == .ok)
            #expect(json["unsubscribed"] as? String == "report")
            #expect(json["id"] as? String == id)
            // One click is enough; a second changes nothing.
            #expect(try await world.get(link).0 == .ok)
            try await world.status(id, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.deliver()
            #expect(world.notify.notifications.count == 1)
            // A link that is not ours is nothing.
            var forged = Array(link)
            forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
            #expect(try await world.get(String(forged)).0 == .notFound)
            #expect(try await world.get("/v1/unsubscribe/not-a-token").0 == .notFound)
        }
    }

    @Test func textsGoToThePhoneAndStopEndsThem() async throws {
        try await Self.withWorld { world in
            try await world.settings(channels: ["sms"])
            let id = try await world.report(email: "harding@example.org", phone: "07700 900123")
            try await world.deliver()
            let text = try #require(world.notify.notifications.first)
            #expect(text.kind == "sms")
            #expect(text.recipient == "07700 900123")
            #expect(text.text("unsubscribe_url") == nil)

            // Callbacks need the council's token, checked before the body.
            #expect(try await world.callback("{}", path: "/received-text", token: nil).0 == .unauthorized)
            #expect(try await world.callback("{}", path: "/received-text", token: "wrong-token-123").0 == .unauthorized)
            #expect(try await world.callback("{}", path: "/received-text").0 == .badRequest)
            let (ignored, kept) = try await world.callback(#"{"source_number": "447700900123", "message": "Thanks"}"#, path: "/received-text")
            #expect(ignored == .ok)
            #expect(kept["result"] as? String == "ignored")
            // Notify reports the sender in international form; the reporter typed it nationally.
            let (stopped, result) = try await world.callback(
                #"{"id": "x", "source_number": "447700900123", "destination_number": "07700900000", "message": "stop", "date_received": "2026-12-06T10:00:00Z"}"#,
                path: "/received-text"
            )
            #expect(stopped == .ok)
            #expect(result["result"] as? String == "stopped")
            try await world.status(id, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.deliver()
            #expect(world.notify.notifications.count == 1)
        }
    }

    @Test func aPermanentFailureStopsEmailsToThatAddress() async throws {
        try await Self.withWorld { world in
            try await world.settings()
            let id = try await world.report(email: "nobody@example.org")
            let other = try await world.report(email: "somebody@example.org")
            try await world.deliver()
            let first = try #require(world.notify.notifications.first { $0.recipient == "nobody@example.org" })
            let (status, _) = try await world.callback(
                #"{"id": "\#(first.id)", "reference": "\#(first.reference ?? "")", "to": "nobody@example.org", "status": "permanent-failure"}"#
            )
            #expect(status == .ok)
            // Someone else's message id is not this council's to report on.
            let (unknown, result) = try await world.callback(#"{"id": "n", "reference": "\#(UUID())", "status": "delivered"}"#)
            #expect(unknown == .ok)
            #expect(result["result"] as? String == "unknown_message")
            #expect(try await world.callback(#"{"id": "n", "reference": "\#(UUID())", "status": "lost"}"#).0 == .badRequest)

            try await world.status(id, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.status(other, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.deliver()
            let recipients = world.notify.notifications.compactMap(\.recipient)
            #expect(recipients.filter { $0 == "nobody@example.org" }.count == 1)
            #expect(recipients.filter { $0 == "somebody@example.org" }.count == 2)
            let suppressions = try await world.count("SELECT count(*)::int FROM notification_suppressions")
            #expect(suppressions == 1)
            // The suppression list keeps no address.
            #expect(try await world.count("SELECT count(*)::int FROM notification_suppressions WHERE address_hash::text LIKE '%nobody%'") == 0)
        }
    }

    @Test func rateLimitsAndOutagesAreRetriedAndRefusalsDieAtOnce() async throws {
        try await Self.withWorld { world in
            try await world.settings()
            world.notify.failWith.withLock { $0 = 429 }
            let id = try await world.report()
            #expect(try await world.services.dispatchOnce() == 1)
            world.notify.failWith.withLock { $0 = 503 }
            try await world.sql("UPDATE dispatch_jobs SET run_at = now() WHERE notification_id IS NOT NULL")
            #expect(try await world.services.dispatchOnce() == 1)
            let retries = try await world.count(
                "SELECT count(*)::int FROM dispatch_attempts WHERE outcome = 'retry' AND event_type = 'notify.report_received'"
            )
            #expect(retries == 2)
            #expect(try await world.services.notifications.log(reportID: UUID(uuidString: id)).map(\.state) == ["queued"])
            world.notify.failWith.withLock { $0 = nil }
            try await world.sql("UPDATE dispatch_jobs SET run_at = now() WHERE notification_id IS NOT NULL")
            try await world.deliver()
            #expect(world.notify.notifications.count == 1)

            // 400 (a bad template, say) will not succeed on retry: dead at once, with Notify's reason.
            world.notify.failWith.withLock { $0 = 400 }
            try await world.status(id, #"{"status": "fixed", "public_note": "Done."}"#)
            try await world.deliver()
            let (listed, dead) = try await world.client.execute(
                uri: "/v1/councils/barchester/destinations/govuk-notify/dead",
                method: .get,
                headers: world.staff
            ) { ($0.status, $0.json) }
            #expect(listed == .ok)
            let message = try #require((dead["messages"] as? [[String: Any]])?.first)
            #expect(message["attempts"] as? Int == 1)
            #expect((message["last_error"] as? String)?.contains("failing on purpose (400)") == true)
            #expect(try await world.services.notifications.log(reportID: UUID(uuidString: id)).map(\.state) == ["sending", "failed"])
            // Redriven once the council has fixed it, the message goes.
            world.notify.failWith.withLock { $0 = nil }
            let messageID = try #require(message["message_id"] as? String)
            let (redriven, _) = try await world.post(
                "/v1/councils/barchester/destinations/govuk-notify/dead/\(messageID)/redrive",
                world.staff,
                "{}"
            )
            #expect(redriven == .noContent)
            try await world.deliver()
            #expect(world.notify.notifications.last?.templateID == Self.templates[.closed])
            #expect(try await world.services.notifications.log(reportID: UUID(uuidString: id)).map(\.state) == ["sending", "sending"])
            // The notification destination is the service's own.
            let (deleted, problem) = try await world.client.execute(
                uri: "/v1/councils/barchester/destinations/govuk-notify",
                method: .delete,
                headers: world.staff
            ) { ($0.status, $0.json) }
            #expect(deleted == .conflict)
            #expect(problem["code"] as? String == "destination_managed")
            // Nor can a category send its cases there.
            let (named, refusal) = try await world.client.execute(
                uri: "/v1/councils/barchester/categories/fly_tipping",
                method: .patch,
                headers: world.staff.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"destination": "govuk-notify"}"#)
            ) { ($0.status, $0.json) }
            #expect(named == .unprocessableContent)
            #expect((refusal["errors"] as? [[String: Any]])?.first?["code"] as? String == "unknown_destination")
        }
    }

    @Test func erasureEmptiesTheMessageLogAndSkipsWhatWasNotSent() async throws {
        try await Self.withWorld { world in
            try await world.settings()
            let sent = try await world.report(email: "sent@example.org")
            try await world.deliver()
            let pending = try await world.report(email: "pending@example.org")
            let admin = try await bearer(world.testDB, role: .admin)
            for id in [sent, pending] {
                let status = try await world.client.execute(uri: "/v1/reports/\(id)/reporter", method: .delete, headers: admin) { $0.status }
                #expect(status == .noContent)
            }
            try await world.deliver()
            #expect(world.notify.notifications.compactMap(\.recipient) == ["sent@example.org"])
            #expect(try await world.count("SELECT count(*)::int FROM notifications WHERE address IS NOT NULL") == 0)
            #expect(try await world.services.notifications.log(reportID: UUID(uuidString: pending)).map(\.state) == ["skipped"])

            // Retention: no address kept 30 days after its message.
            let kept = try await world.report(email: "kept@example.org")
            try await world.deliver()
            #expect(try await world.count("SELECT count(*)::int FROM notifications WHERE address IS NOT NULL") == 1)
            try await world.sql("UPDATE notifications SET created_at = now() - interval '31 days'")
            _ = try await world.services.maintenance().run()
            #expect(try await world.count("SELECT count(*)::int FROM notifications WHERE address IS NOT NULL") == 0)
            #expect(try await world.count("SELECT count(*)::int FROM notifications WHERE report_id = '\(kept)'") == 1)
        }
    }
}
