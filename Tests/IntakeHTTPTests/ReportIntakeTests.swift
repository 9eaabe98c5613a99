import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// `POST /v1/reports` and the views of a stored report.
@Suite struct ReportIntakeTests {
    /// A district inside a county over a patch of England (lon -3…0, lat 50…53), so British
    /// National Grid references land in it; fly-tipping at the district, potholes at the county.
    static func setUp(_ testDB: TestDatabase) async throws {
        try await Fixtures.council(testDB, "shire", tier: "county", wkt: "POLYGON((-3 50, 0 50, 0 53, -3 53, -3 50))")
        try await Fixtures.council(testDB, "west", tier: "district", wkt: "POLYGON((-3 50, -1.5 50, -1.5 53, -3 53, -3 50))")
        try await Fixtures.council(testDB, "east", tier: "district", wkt: "POLYGON((-1.5 50, 0 50, 0 53, -1.5 53, -1.5 50))")
        for district in ["west", "east"] {
            try await testDB.execute(
                """
                INSERT INTO categories (council_id, code, name, attributes)
                SELECT id, 'fly_tipping', 'Fly-tipping',
                  '[{"code": "waste_type", "description": "What was dumped?", "datatype": "singlevaluelist", "required": true,
                     "variable": true, "order": 1, "datatype_description": "",
                     "values": [{"key": "household", "name": "Household"}, {"key": "tyres", "name": "Tyres"}]},
                    {"code": "bags", "description": "How many bags?", "datatype": "number", "required": false,
                     "variable": true, "order": 2, "datatype_description": "", "values": []}]'
                FROM councils WHERE slug = '\(district)'
                """
            )
            try await testDB.execute(
                """
                INSERT INTO categories (council_id, code, name, contact_required, anonymous_allowed)
                SELECT id, 'missed_bin', 'Missed bin', true, false FROM councils WHERE slug = '\(district)'
                """
            )
        }
        try await Fixtures.category(testDB, council: "shire", code: "pothole")
    }

    static let flyTipping = """
        {"category": "fly_tipping", "location": {"lat": 51.5, "lon": -2.5},
         "description": "Mattress and six bags dumped by the gate.\\nNext to the postbox.",
         "address": "Gate of Hiram's Hospital", "attributes": {"waste_type": "household", "bags": 6},
         "reporter": {"name": "Eleanor Bold", "email": "eleanor@example.org", "phone": "01632 960123"}}
        """

    static func post(
        _ client: any TestClientProtocol,
        _ headers: HTTPFields,
        _ body: String
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: "/v1/reports",
            method: .post,
            headers: headers.merging([.contentType: "application/json"]),
            body: ByteBuffer(string: body)
        ) { ($0.status, $0.json) }
    }

    static func count(_ testDB: TestDatabase, _ table: String) async throws -> Int {
        try await testDB.withDatabase(poolSize: 1) { database in
            try await database.withConnection { connection in
                let rows = try await connection.query("SELECT count(*)::int FROM \(unescaped: table)", logger: .quiet)
                for try await count in rows.decode(Int.self) { return count }
                return -1
            }
        }
    }

    @Test func aReportIsRoutedStoredAndAnsweredWithItsReferenceAndToken() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let key = try await bearer(testDB, role: .client)
            let (status, body) = try await Self.post(client, key, Self.flyTipping)
            #expect(status == .created, "\(body)")
            #expect(UUID(uuidString: body["id"] as? String ?? "") != nil)
            #expect(body["reference"] as? String == "FT-000001")
            #expect((body["council"] as? [String: Any])?["slug"] as? String == "west")
            #expect((body["category"] as? [String: Any])?["code"] as? String == "fly_tipping")
            #expect(body["status"] as? String == "open")
            #expect(body["open"] as? Bool == true)
            #expect((body["tracking_token"] as? String)?.hasPrefix("tt_") == true)
            #expect((body["attributes"] as? [String: Any])?["waste_type"] as? String == "household")
            #expect((body["attributes"] as? [String: Any])?["bags"] as? Double == 6)
            #expect((body["reporter"] as? [String: Any])?["email"] as? String == "eleanor@example.org")
            #expect(body["description"] as? String == "Mattress and six bags dumped by the gate.\nNext to the postbox.")

            // Committed together: the report, its first events and its dispatch job.
            #expect(try await Self.count(testDB, "reports") == 1)
            #expect(try await Self.count(testDB, "report_events") == 2)
            #expect(try await Self.count(testDB, "dispatch_jobs WHERE event_type = 'case.created' AND state = 'pending'") == 1)

            let (_, second) = try await Self.post(client, key, Self.flyTipping)
            #expect(second["reference"] as? String == "FT-000002")
            let (_, elsewhere) = try await Self.post(
                client,
                key,
                Self.flyTipping.replacingOccurrences(of: #""lon": -2.5"#, with: #""lon": -1.0"#)
            )
            #expect(elsewhere["reference"] as? String == "FT-000001", "numbered per council")
            #expect((elsewhere["council"] as? [String: Any])?["slug"] as? String == "east")
        }
    }

    @Test func theViewDependsOnWhoIsAsking() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let (_, created) = try await Self.post(client, try await bearer(testDB, role: .client), Self.flyTipping)
            let id = created["id"] as? String ?? ""
            let token = created["tracking_token"] as? String ?? ""

            let (publicView, publicText) = try await client.execute(uri: "/v1/reports/\(id)", method: .get) { ($0.json, $0.text) }
            #expect(publicView["reporter"] == nil)
            #expect(publicView["reporter_name"] as? String == "Eleanor Bold")
            #expect(!publicText.contains("eleanor@example.org") && !publicText.contains("960123"))
            #expect(publicView["tracking_token"] == nil)

            let mine = try await client.execute(uri: "/v1/reports/\(id)", method: .get, headers: [.trackingToken: token]) { $0.json }
            #expect((mine["reporter"] as? [String: Any])?["phone"] as? String == "01632 960123")

            let council = try await client.execute(
                uri: "/v1/reports/\(id)",
                method: .get,
                headers: try await bearer(testDB, role: .backoffice, council: "west")
            ) { $0.json }
            #expect((council["reporter"] as? [String: Any])?["email"] as? String == "eleanor@example.org")

            let otherCouncil = try await client.execute(
                uri: "/v1/reports/\(id)",
                method: .get,
                headers: try await bearer(testDB, role: .backoffice, council: "east")
            ) { $0.json }
            #expect(otherCouncil["reporter"] == nil)

            try await client.execute(uri: "/v1/reports/\(id)", method: .get, headers: [.trackingToken: "tt_wrong"]) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/reports/\(UUID())", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/reports/not-a-uuid", method: .get) { #expect($0.status == .notFound) }

            let timeline = try await client.execute(uri: "/v1/reports/\(id)/timeline", method: .get) { $0.json }
            let kinds = (timeline["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds == ["created", "routed"])
        }
    }

    @Test func anonymousReportsShowNoName() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let body = Self.flyTipping.replacingOccurrences(of: #""reporter":"#, with: #""anonymous": true, "reporter":"#)
            let (_, created) = try await Self.post(client, try await bearer(testDB, role: .client), body)
            let publicView = try await client.execute(uri: "/v1/reports/\(created["id"] as? String ?? "")", method: .get) { $0.json }
            #expect(publicView["reporter_name"] == nil)
            #expect(publicView["reporter"] == nil)
        }
    }

    @Test func britishNationalGridReferencesAreConverted() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let body = Self.flyTipping.replacingOccurrences(
                of: #"{"lat": 51.5, "lon": -2.5}"#,
                with: #"{"easting": 400000, "northing": 300000}"#
            )
            let (status, created) = try await Self.post(client, try await bearer(testDB, role: .client), body)
            #expect(status == .created, "\(created)")
            let location = created["location"] as? [String: Double] ?? [:]
            // E 400000, N 300000 lies on the 2°W meridian, a little south of 52.6°N.
            #expect(abs((location["lon"] ?? 0) - -2.0) < 0.01, "\(location)")
            #expect(abs((location["lat"] ?? 0) - 52.59) < 0.02, "\(location)")
            #expect((created["council"] as? [String: Any])?["slug"] as? String == "west")
        }
    }

    @Test(arguments: [
        (#""category": "fly_tipping""#, #""category": "parking""#, 422, "/category"),
        (#"{"lat": 51.5, "lon": -2.5}"#, #"{"lat": 40.0, "lon": -2.5}"#, 422, "/location"),
        (#"{"lat": 51.5, "lon": -2.5}"#, #"{"lat": 95, "lon": -2.5}"#, 422, "/location/lat"),
        (#"{"lat": 51.5, "lon": -2.5}"#, #"{"lat": 51.5, "lon": -2.5, "easting": 1, "northing": 2}"#, 422, "/location"),
        (#"{"lat": 51.5, "lon": -2.5}"#, #"{"easting": 800000, "northing": 300000}"#, 422, "/location"),
        (#"{"lat": 51.5, "lon": -2.5}"#, #"{"lat": "51.5", "lon": -2.5}"#, 422, "/location/lat"),
        (#""waste_type": "household""#, #""waste_type": 5"#, 422, "/attributes/waste_type"),
        (#""waste_type": "household""#, #""waste_type": "spaceship""#, 422, "/attributes/waste_type"),
        (#""waste_type": "household", "bags": 6"#, #""bags": 6"#, 422, "/attributes/waste_type"),
        (#""bags": 6"#, #""bags": "six""#, 422, "/attributes/bags"),
        (#""bags": 6"#, #""bags": 6, "colour": "red""#, 422, "/attributes/colour"),
        (#""bags": 6"#, #""bags": true"#, 422, "/attributes/bags"),
        (#""email": "eleanor@example.org""#, #""email": "eleanor""#, 422, "/reporter/email"),
        (#""phone": "01632 960123""#, #""phone": "call me""#, 422, "/reporter/phone"),
        (#""address": "Gate of Hiram's Hospital""#, #""photos": ["not-a-uuid"]"#, 422, "/photos/0"),
        (#""address": "Gate of Hiram's Hospital""#, #""photos": ["7d0f6e0a-6b1e-4c8e-9a53-2b1a3c4d5e6f"]"#, 422, "/photos/0"),
        (#""address": "Gate of Hiram's Hospital""#, #""photos": ["a","b","c","d","e","f"]"#, 422, "/photos/0"),
        (
            #""address": "Gate of Hiram's Hospital""#,
            "\"photos\": [" + (1...6).map { _ in "\"\(UUID().uuidString)\"" }.joined(separator: ",") + "]", 422, "/photos"
        ),
        (#""description": "Mattress"#, #""description": "\u0007Mattress"#, 422, "/description"),
        (#""description": "Mattress and six bags dumped by the gate.\nNext to the postbox.""#, #""description": "   ""#, 422, "/description"),
    ])
    func badInputIsRefusedAtTheFieldAndWritesNothing(find: String, replace: String, status: Int, pointer: String) async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let body = Self.flyTipping.replacingOccurrences(of: find, with: replace)
            #expect(body != Self.flyTipping, "the case must change the request")
            let (got, problem) = try await Self.post(client, try await bearer(testDB, role: .client), body)
            #expect(Int(got.code) == status, "\(problem)")
            if status == 422 {
                let pointers = (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }
                #expect(pointers.contains(pointer), "\(problem)")
                #expect(try await Self.count(testDB, "reports") == 0)
                #expect(try await Self.count(testDB, "dispatch_jobs") == 0)
            }
        }
    }

    @Test func longDescriptionsAndCategoryRulesAreEnforced() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let key = try await bearer(testDB, role: .client)
            let long = String(repeating: "x", count: 4001)
            let (tooLong, problem) = try await Self.post(
                client,
                key,
                #"{"category": "fly_tipping", "location": {"lat": 51.5, "lon": -2.5}, "description": "\#(long)", "attributes": {"waste_type": "tyres"}}"#
            )
            #expect(tooLong == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/description")

            // Missed bins need a way to reach the reporter, and a name.
            let (noContact, contactProblem) = try await Self.post(
                client,
                key,
                #"{"category": "missed_bin", "location": {"lat": 51.5, "lon": -2.5}, "description": "Not emptied", "anonymous": true}"#
            )
            #expect(noContact == .unprocessableContent)
            let pointers = (contactProblem["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }
            #expect(pointers == ["/reporter", "/reporter/name", "/anonymous"])
            #expect(try await Self.count(testDB, "reports") == 0)
        }
    }

    @Test func sqlAndHTMLLookingTextIsKeptVerbatim() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            let text = #"Robert'); DROP TABLE reports;-- <script>alert(\"x\")</script> & <b>bold</b>"#
            let body = Self.flyTipping.replacingOccurrences(
                of: #""Mattress and six bags dumped by the gate.\nNext to the postbox.""#,
                with: "\"\(text)\""
            )
            let (status, created) = try await Self.post(client, try await bearer(testDB, role: .client), body)
            #expect(status == .created)
            let fetched = try await client.execute(uri: "/v1/reports/\(created["id"] as? String ?? "")", method: .get) { $0.json }
            #expect(fetched["description"] as? String == #"Robert'); DROP TABLE reports;-- <script>alert("x")</script> & <b>bold</b>"#)
            #expect(try await Self.count(testDB, "reports") == 1)
        }
    }

    @Test func onlyClientKeysReport() async throws {
        try await withApp { client, testDB in
            try await Self.setUp(testDB)
            #expect(try await Self.post(client, [:], Self.flyTipping).0 == .unauthorized)
            #expect(try await Self.post(client, try await bearer(testDB, role: .backoffice, council: "west"), Self.flyTipping).0 == .forbidden)
            try await client.execute(
                uri: "/v1/reports",
                method: .post,
                headers: try await bearer(testDB, role: .client).merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"category": "fly_tipping", "location": "#)
            ) { #expect($0.status == .badRequest) }
        }
    }
}

extension HTTPField.Name {
    static let trackingToken = Self("X-Tracking-Token")!
    static let idempotencyKey = Self("Idempotency-Key")!
}
