import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Listing, "already reported?", the reporter's comments and erasure.
@Suite struct ReportReadTests {
    /// Creates `count` fly-tipping reports along a line of latitude and returns their ids, oldest first.
    static func seed(
        _ client: any TestClientProtocol,
        _ testDB: TestDatabase,
        count: Int,
        lon: (Int) -> Double = { -2.5 + Double($0) * 0.001 }
    )
        async throws -> [String]
    {
        let key = try await bearer(testDB, role: .client)
        var ids: [String] = []
        for index in 0..<count {
            let body = ReportIntakeTests.flyTipping.replacingOccurrences(of: #""lon": -2.5"#, with: "\"lon\": \(lon(index))")
            let (status, created) = try await ReportIntakeTests.post(client, key, body)
            #expect(status == .created)
            ids.append(created["id"] as? String ?? "")
        }
        return ids
    }

    @Test func pagesWalkEveryReportOnceNewestFirst() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let ids = try await Self.seed(client, testDB, count: 7)
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/reports?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get) { $0.json }
                seen += (page["reports"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == ids.reversed())
        }
    }

    @Test func severalStatusesPageNewestFirstAcrossStatusesEachOnce() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let ids = try await Self.seed(client, testDB, count: 7)
            let statuses = ["fixed", "in_progress", "open", "fixed", "in_progress", "open", "fixed"]
            try await testDB.withDatabase(poolSize: 1) { database in
                for (id, status) in zip(ids, statuses) {
                    _ = try await DispatchFixtures.scalar(
                        database,
                        "UPDATE reports SET status = '\(status)' WHERE id = '\(id)' RETURNING 1",
                        as: Int.self
                    )
                }
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                // A status named twice counts once.
                let uri = "/v1/reports?status=in_progress,open,in_progress&limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get) { $0.json }
                seen += (page["reports"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == [ids[5], ids[4], ids[2], ids[1]])
            #expect(pages == 2)
        }
    }

    @Test func filtersNarrowTheList() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            _ = try await Self.seed(client, testDB, count: 2)  // west
            _ = try await Self.seed(client, testDB, count: 1, lon: { _ in -1.0 })  // east
            func count(_ query: String) async throws -> Int {
                try await client.execute(uri: "/v1/reports?\(query)", method: .get) { response in
                    #expect(response.status == .ok, "\(query): \(response.text)")
                    return (response.json["reports"] as? [Any])?.count ?? -1
                }
            }
            #expect(try await count("council=west") == 2)
            #expect(try await count("council=east&category=fly_tipping") == 1)
            #expect(try await count("category=pothole") == 0)
            #expect(try await count("status=open") == 3)
            #expect(try await count("status=closed") == 0)
            #expect(try await count("status=fixed,in_progress") == 0)
            #expect(try await count("bbox=-1.2,51,-0.8,52") == 1)
            #expect(try await count("since=2000-01-01T00:00:00Z") == 3)
            #expect(try await count("until=2000-01-01T00:00:00Z") == 0)
        }
    }

    @Test(arguments: [
        ("limit=0", "/query/limit"), ("limit=201", "/query/limit"), ("status=broken", "/query/status"),
        ("bbox=1,2,3", "/query/bbox"), ("since=yesterday", "/query/since"), ("cursor=zzz", "/query/cursor"),
    ])
    func badFiltersAre422(query: String, pointer: String) async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/reports?\(query)", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                #expect((response.json["errors"] as? [[String: Any]])?.first?["pointer"] as? String == pointer)
            }
        }
    }

    @Test func geoJSONForMaps() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let ids = try await Self.seed(client, testDB, count: 2)
            try await client.execute(uri: "/v1/reports", method: .get, headers: [.accept: "application/geo+json"]) { response in
                #expect(response.headers[.contentType]?.hasPrefix("application/geo+json") == true)
                let collection = response.json
                #expect(collection["type"] as? String == "FeatureCollection")
                let features = collection["features"] as? [[String: Any]] ?? []
                #expect(features.count == 2)
                let first = features.first ?? [:]
                #expect(first["type"] as? String == "Feature")
                #expect(first["id"] as? String == ids.last)
                let geometry = first["geometry"] as? [String: Any]
                #expect(geometry?["type"] as? String == "Point")
                #expect((geometry?["coordinates"] as? [Double])?.first.map { abs($0 - -2.499) < 1e-9 } == true)
                let properties = first["properties"] as? [String: Any] ?? [:]
                #expect(properties["reference"] as? String == "FT-000002")
                #expect(properties["reporter"] == nil, "public view only")
                #expect(!response.text.contains("eleanor@example.org"))
            }
        }
    }

    @Test func nearbyFindsOpenReportsOfTheCategoryNearestFirst() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            // 0.001° of longitude at 51.5°N is about 69 m: reports at 0, 69, 139, 208, 278 m.
            let ids = try await Self.seed(client, testDB, count: 5)
            try await testDB.execute("UPDATE reports SET status = 'fixed', closed_at = now() WHERE id = '\(ids[1])'")
            try await testDB.execute("UPDATE reports SET created_at = now() - interval '61 days' WHERE id = '\(ids[2])'")
            let found = try await client.execute(
                uri: "/v1/reports/nearby?lat=51.5&lon=-2.4995&category=fly_tipping",
                method: .get
            ) { $0.json }
            let near = found["reports"] as? [[String: Any]] ?? []
            let nearIDs = near.compactMap { ($0["report"] as? [String: Any])?["id"] as? String }
            // Within 250 m: 0 (35 m), 3 (174 m); 1 is fixed, 2 is too old, 4 is 243 m away... check by distance.
            let distances = near.compactMap { $0["distance_m"] as? Double }
            #expect(distances == distances.sorted())
            #expect(distances.allSatisfy { $0 <= 250 })
            #expect(!nearIDs.contains(ids[1]) && !nearIDs.contains(ids[2]))
            #expect(nearIDs.first == ids[0])
            #expect(nearIDs.contains(ids[3]))
            #expect(found["radius_m"] as? Int == 250)

            try await client.execute(uri: "/v1/reports/nearby?lat=51.5&lon=-2.5", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                #expect((response.json["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/query/category")
            }
        }
    }

    @Test func theReporterCommentsWithTheirTokenAndTheCouncilHearsOfIt() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let (_, created) = try await ReportIntakeTests.post(client, try await bearer(testDB, role: .client), ReportIntakeTests.flyTipping)
            let id = created["id"] as? String ?? ""
            let token = created["tracking_token"] as? String ?? ""
            let json: HTTPFields = [.contentType: "application/json"]
            try await client.execute(
                uri: "/v1/reports/\(id)/updates",
                method: .post,
                headers: json.merging([.trackingToken: token]),
                body: ByteBuffer(string: #"{"comment": "Someone has added a fridge."}"#)
            ) { response in
                #expect(response.status == .created)
                let event = (response.json["events"] as? [[String: Any]])?.first
                #expect(event?["kind"] as? String == "comment")
                #expect(event?["actor"] as? String == "reporter")
            }
            try await client.execute(
                uri: "/v1/reports/\(id)/updates",
                method: .post,
                headers: json,
                body: ByteBuffer(string: #"{"comment": "x"}"#)
            ) { #expect($0.status == .unauthorized) }
            try await client.execute(
                uri: "/v1/reports/\(id)/updates",
                method: .post,
                headers: json.merging([.trackingToken: "tt_not-it"]),
                body: ByteBuffer(string: #"{"comment": "x"}"#)
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/v1/reports/\(id)/updates",
                method: .post,
                headers: json.merging([.trackingToken: token]),
                body: ByteBuffer(string: #"{"comment": ""}"#)
            ) { #expect($0.status == .unprocessableContent) }

            let timeline = try await client.execute(uri: "/v1/reports/\(id)/timeline", method: .get) { $0.json }
            let events = timeline["events"] as? [[String: Any]] ?? []
            #expect(events.compactMap { $0["kind"] as? String } == ["created", "routed", "comment"])
            #expect(events.last?["public_note"] as? String == "Someone has added a fridge.")
            #expect(try await ReportIntakeTests.count(testDB, "dispatch_jobs WHERE event_type = 'case.comment'") == 1)
        }
    }

    @Test func erasureRemovesContactDetailsButKeepsThePublicRecord() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let (_, created) = try await ReportIntakeTests.post(client, try await bearer(testDB, role: .client), ReportIntakeTests.flyTipping)
            let id = created["id"] as? String ?? ""
            let admin = try await bearer(testDB, role: .admin)
            try await client.execute(uri: "/v1/reports/\(id)/reporter", method: .delete, headers: try await bearer(testDB, role: .client)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/reports/\(id)/reporter", method: .delete, headers: admin) {
                #expect($0.status == .noContent)
            }
            let council = try await client.execute(
                uri: "/v1/reports/\(id)",
                method: .get,
                headers: try await bearer(testDB, role: .backoffice, council: "west")
            ) { $0.json }
            #expect(council["reporter"] == nil)
            #expect(council["reporter_name"] == nil)
            #expect(council["description"] as? String == "Mattress and six bags dumped by the gate.\nNext to the postbox.")
            try await client.execute(uri: "/v1/reports/\(UUID())/reporter", method: .delete, headers: admin) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func contactDetailsNeverReachTheLogs() async throws {
        let logs = LogCapture()
        try await withApp(logs: logs) { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let (status, created) = try await ReportIntakeTests.post(client, try await bearer(testDB, role: .client), ReportIntakeTests.flyTipping)
            #expect(status == .created)
            _ = try await client.execute(uri: "/v1/reports/\(created["id"] as? String ?? "")", method: .get) { $0.status }
            // A refused report is logged too: still without what the citizen typed.
            _ = try await ReportIntakeTests.post(
                client,
                try await bearer(testDB, role: .client),
                ReportIntakeTests.flyTipping.replacingOccurrences(of: "eleanor@example.org", with: "eleanor at example")
            )
        }
        let everything = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!logs.entries.isEmpty)
        for secret in ["eleanor", "Eleanor", "960123", "Mattress"] {
            #expect(!everything.contains(secret), "\(secret) was logged")
        }
    }
}
