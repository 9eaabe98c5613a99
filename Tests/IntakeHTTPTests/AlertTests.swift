import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeServices
import IntakeTestSupport
import NIOCore
import Testing

/// Alerts (FixMyStreet's): double opt-in, new reports in an area or a council, followers of a
/// report, daily digests, signed webhooks for civic tech groups, and unsubscribing.
@Suite struct AlertTests {
    typealias World = NotificationTests.World

    static func subscribe(_ world: World, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await world.post("/v1/alerts", world.app, body)
    }

    /// A point `metres` north of (lat, lon), as PostGIS measures on the spheroid.
    static func north(of lat: Double, _ lon: Double, metres: Double, _ world: World) async throws -> Double {
        try await world.testDB.withDatabase(poolSize: 1) { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT ST_Y(ST_Project(ST_MakePoint(\(lon), \(lat))::geography, \(metres), 0)::geometry)",
                    logger: .quiet
                )
                for try await value in rows.decode(Double.self) { return value }
                return lat
            }
        }
    }

    @Test func anAreaAlertStartsOnlyWhenConfirmedAndKeepsToItsRadius() async throws {
        try await NotificationTests.withWorld { world in
            try await world.settings(templates: NotificationTests.templates.filter { $0.key != .reportReceived })
            let (status, created) = try await Self.subscribe(
                world,
                #"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": 500, "email": "neighbour@example.org"}"#
            )
            #expect(status == .accepted, "\(created)")
            let alert = try #require(created["alert"] as? [String: Any])
            #expect(alert["state"] as? String == "pending")
            #expect(alert["radius_metres"] as? Int == 500)
            #expect(alert["email"] == nil)
            // Asked again: the same subscription, and its confirmation again.
            let (again, repeated) = try await Self.subscribe(
                world,
                #"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": 500, "email": "Neighbour@example.org"}"#
            )
            #expect(again == .accepted)
            #expect((repeated["alert"] as? [String: Any])?["id"] as? String == alert["id"] as? String)

            // Before confirmation, a new report nearby sends nothing but the confirmations.
            _ = try await world.report(email: nil)
            try await world.deliver()
            let confirmations = world.notify.notifications
            #expect(confirmations.count == 2)
            #expect(confirmations.allSatisfy { $0.templateID == NotificationTests.templates[.alertConfirm] })
            #expect(confirmations[0].recipient == "neighbour@example.org")
            #expect(confirmations[0].text("alert")?.contains("within 500 metres") == true)
            let link = try #require(confirmations[0].text("confirm_url"))
            let (confirmed, active) = try await world.get(link)
            #expect(confirmed == .ok)
            #expect(active["state"] as? String == "active")
            #expect(try await world.get(link).0 == .ok)
            // Asking again now tells the asker nothing new: not that the address confirmed, not when.
            let (known, masked) = try await Self.subscribe(
                world,
                #"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": 500, "email": "neighbour@example.org"}"#
            )
            #expect(known == .accepted)
            let shown = try #require(masked["alert"] as? [String: Any])
            #expect(shown["state"] as? String == "pending")
            #expect(shown["created_at"] == nil && shown["confirmed_at"] == nil)

            // The radius's edge, on the spheroid: 490 m in, 510 m out.
            let inside = try await Self.north(of: 52.3, -1.9, metres: 490, world)
            let outside = try await Self.north(of: 52.3, -1.9, metres: 510, world)
            let near = try await world.report(email: nil, lat: inside)
            _ = try await world.report(email: nil, lat: outside)
            try await world.deliver()
            let alerts = world.notify.notifications.filter { $0.templateID == NotificationTests.templates[.alertNewReport] }
            try #require(alerts.count == 1)
            #expect(alerts[0].text("report_url")?.hasSuffix(near) == true)
            #expect(alerts[0].text("category") == "Fly-tipping")

            // One click in the alert ends it.
            let unsubscribe = try #require(alerts[0].text("unsubscribe_url"))
            let (stopped, result) = try await world.get(unsubscribe)
            #expect(stopped == .ok)
            #expect(result["unsubscribed"] as? String == "alert")
            _ = try await world.report(email: nil, lat: inside)
            try await world.deliver()
            #expect(world.notify.notifications.filter { $0.templateID == NotificationTests.templates[.alertNewReport] }.count == 1)
            // An ended alert cannot be confirmed back to life.
            #expect(try await world.get(link).0 == .notFound)
        }
    }

    @Test func oneAddressGetsAtMostThreeConfirmationsAnHour() async throws {
        try await NotificationTests.withWorld { world in
            try await world.settings()
            for radius in [100, 200, 300, 400, 500] {
                let (status, _) = try await Self.subscribe(
                    world,
                    #"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": \#(radius), "email": "target@example.org"}"#
                )
                #expect(status == .accepted)
            }
            try await world.deliver()
            #expect(world.notify.notifications.filter { $0.recipient == "target@example.org" }.count == 3)
        }
    }

    @Test func aSubscriberIsErasedAtOnceAndTheAuditLogKeepsNoAddress() async throws {
        try await NotificationTests.withWorld { world in
            try await world.settings()
            for body in [
                #"{"kind": "council", "council": "barchester", "email": "Leaving@example.org"}"#,
                #"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": 300, "email": "leaving@example.org"}"#,
                #"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": 300, "email": "staying@example.org"}"#,
            ] {
                #expect(try await Self.subscribe(world, body).0 == .accepted)
            }
            try await world.deliver()
            let admin = try await bearer(world.testDB, role: .admin)
            let (status, result) = try await world.post("/v1/alerts/erase", admin, #"{"email": "leaving@example.org"}"#)
            #expect(status == .ok)
            #expect(result["subscriptions_erased"] as? Int == 2)
            #expect(try await world.count("SELECT count(*)::int FROM alert_subscriptions") == 1)
            #expect(try await world.count("SELECT count(*)::int FROM notifications WHERE lower(address) LIKE 'leaving%'") == 0)
            let audit = try await world.client.execute(uri: "/v1/audit", method: .get, headers: admin) { $0.text }
            #expect(audit.contains("alert_subscriber.erase"))
            #expect(!audit.lowercased().contains("leaving@example.org"))
            #expect(try await world.post("/v1/alerts/erase", world.staff, #"{"email": "staying@example.org"}"#).0 == .forbidden)
        }
    }

    @Test func aDailyCouncilAlertGathersTheDayIntoOneDigest() async throws {
        try await NotificationTests.withWorld { world in
            try await world.settings(templates: NotificationTests.templates.filter { $0.key != .reportReceived })
            let (status, created) = try await Self.subscribe(
                world,
                #"{"kind": "council", "council": "barchester", "category": "fly_tipping", "email": "watcher@example.org", "frequency": "daily"}"#
            )
            #expect(status == .accepted, "\(created)")
            try await world.deliver()
            let link = try #require(world.notify.notifications.first?.text("confirm_url"))
            #expect(try await world.get(link).0 == .ok)

            var references: [String] = []
            for _ in 0..<3 { references.append(try await world.report(email: nil)) }
            try await world.deliver()
            _ = try await world.services.maintenance().run()
            try await world.deliver()
            // Not a day yet: nothing but the confirmation.
            #expect(world.notify.notifications.count == 1)
            try await world.sql("UPDATE alert_subscriptions SET confirmed_at = now() - interval '25 hours'")
            _ = try await world.services.maintenance().run()
            try await world.deliver()
            let digests = world.notify.notifications.filter { $0.templateID == NotificationTests.templates[.alertDigest] }
            try #require(digests.count == 1)
            #expect(digests[0].text("count") == "3")
            let items = try #require(digests[0].personalisation["reports"] as? [String])
            #expect(items.count == 3)
            for id in references { #expect(items.contains { $0.hasSuffix(id) }) }
            #expect(digests[0].text("alert") == "new Fly-tipping reports to Barchester City Council")
            // Gathered items are sent once; the next day starts empty.
            try await world.sql("UPDATE alert_subscriptions SET last_digest_at = now() - interval '25 hours'")
            _ = try await world.services.maintenance().run()
            try await world.deliver()
            #expect(world.notify.notifications.filter { $0.templateID == NotificationTests.templates[.alertDigest] }.count == 1)
        }
    }

    @Test func aFollowerGetsSignedWebhooksAfterConfirmingThroughOne() async throws {
        let receiver = try await HTTPReceiver.start()
        defer { Task { await receiver.stop() } }
        try await NotificationTests.withWorld { world in
            let reportID = try await world.report(email: nil)
            let (status, created) = try await Self.subscribe(
                world,
                #"{"kind": "report", "report_id": "\#(reportID)", "webhook_url": "\#(receiver.url)/civic-hook"}"#
            )
            #expect(status == .accepted, "\(created)")
            let secret = try #require(created["webhook_secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            #expect((created["alert"] as? [String: Any])?["delivery"] as? String == "webhook")
            // No Notify settings are needed for webhooks, and the secret is not kept in plain text.
            #expect(try await world.count("SELECT count(*)::int FROM alert_subscriptions WHERE webhook_secret LIKE 'sealed:v1:%'") == 1)
            try await world.deliver()
            let confirmation = try #require(receiver.requests.first)
            #expect(confirmation.path == "/civic-hook")
            let id = try #require(confirmation.headers["webhook-id"])
            let timestamp = try #require(confirmation.headers["webhook-timestamp"].flatMap { Int($0) })
            let signature = try #require(confirmation.headers["webhook-signature"])
            #expect(signature == WebhookSignature.header(id: id, timestamp: timestamp, body: Array(confirmation.body), secrets: [secret]))
            let body = try #require(try JSONSerialization.jsonObject(with: confirmation.body) as? [String: Any])
            #expect(body["type"] as? String == "alert.confirm")
            let link = try #require(body["confirm_url"] as? String)
            #expect(try await world.get(link).0 == .ok)

            try await world.status(reportID, #"{"status": "in_progress", "public_note": "On the list."}"#)
            try await world.deliver()
            let update = try #require(receiver.requests.last)
            let updateBody = try #require(try JSONSerialization.jsonObject(with: update.body) as? [String: Any])
            #expect(updateBody["type"] as? String == "alert.report_updated")
            #expect((updateBody["report"] as? [String: Any])?["id"] as? String == reportID)
            #expect((updateBody["event"] as? [String: Any])?["public_note"] as? String == "On the list.")
            #expect((updateBody["unsubscribe_url"] as? String)?.contains("/v1/unsubscribe/") == true)
            #expect(receiver.requests.count == 2)
        }
    }

    @Test func alertsAskedWronglyAreRefusedNamingTheField() async throws {
        try await NotificationTests.withWorld { world in
            func refused(_ body: String) async throws -> (HTTPResponse.Status, [String]) {
                let (status, json) = try await Self.subscribe(world, body)
                return (status, ((json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["pointer"] as? String })
            }
            #expect(
                try await refused(#"{"kind": "area", "lat": 52.3, "lon": -1.9, "email": "a@example.org"}"#) == (
                    .unprocessableContent, ["/radius_metres"]
                )
            )
            #expect(
                try await refused(#"{"kind": "area", "lat": 52.3, "lon": -1.9, "radius_metres": 99, "email": "a@example.org"}"#)
                    == (.unprocessableContent, ["/radius_metres"])
            )
            #expect(
                try await refused(#"{"kind": "council", "council": "barchester", "lat": 52.3, "email": "a@example.org"}"#)
                    == (.unprocessableContent, ["/lat"])
            )
            #expect(
                try await refused(#"{"kind": "council", "council": "barchester", "email": "a@example.org", "webhook_url": "https://x.example/h"}"#)
                    == (.unprocessableContent, ["/webhook_url"])
            )
            #expect(try await refused(#"{"kind": "council", "council": "barchester"}"#) == (.unprocessableContent, ["/email"]))
            #expect(try await refused(#"{"kind": "council", "council": "barchester", "email": null}"#).0 == .unprocessableContent)
            // Email alerts need the council's Notify settings.
            let (unavailable, problem) = try await Self.subscribe(world, #"{"kind": "council", "council": "barchester", "email": "a@example.org"}"#)
            #expect(unavailable == .unprocessableContent)
            #expect(problem["code"] as? String == "email_alerts_unavailable")
            let (missing, notFound) = try await Self.subscribe(world, #"{"kind": "report", "report_id": "\#(UUID())", "email": "a@example.org"}"#)
            #expect(missing == .notFound)
            #expect(notFound["code"] as? String == "report_not_found")
            let (nowhere, outside) = try await Self.subscribe(
                world,
                #"{"kind": "area", "lat": 10, "lon": 10, "radius_metres": 100, "webhook_url": "https://x.example/h"}"#
            )
            #expect(nowhere == .unprocessableContent)
            #expect(outside["code"] as? String == "outside_councils")
            // Only a client key asks; nothing is read from a caller without one.
            let status = try await world.client.execute(
                uri: "/v1/alerts",
                method: .post,
                headers: world.staff.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: "{}")
            ) { $0.status }
            #expect(status == .forbidden)
        }
    }
}
