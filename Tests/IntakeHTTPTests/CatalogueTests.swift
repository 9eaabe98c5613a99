import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// A council's service catalogue through the admin API.
@Suite struct CatalogueTests {
    static let flyTipping = """
        {"code": "fly_tipping", "name": "Fly-tipping", "description": "Rubbish dumped illegally",
         "group": "Street cleaning", "keywords": ["dumping", "waste"], "photo_required": true,
         "anonymous_allowed": false, "contact_required": true, "destination": "district-queue",
         "attributes": [
           {"code": "waste_type", "description": "What was dumped?", "datatype": "singlevaluelist", "required": true,
            "order": 1, "values": [{"key": "household", "name": "Household"}, {"key": "tyres", "name": "Tyres"}]},
           {"code": "items", "description": "Which items?", "datatype": "multivaluelist", "required": false, "order": 2,
            "values": [{"key": "sofa", "name": "Sofa"}, {"key": "mattress", "name": "Mattress"}]},
           {"code": "count", "description": "How many bags?", "datatype": "number", "required": false, "order": 3},
           {"code": "seen_at", "description": "When did you see it?", "datatype": "datetime", "required": false, "order": 4},
           {"code": "vehicle", "description": "Vehicle registration", "datatype": "string", "required": false, "order": 5},
           {"code": "notes", "description": "Anything else", "datatype": "text", "required": false, "order": 6,
            "datatype_description": "Free text"},
           {"code": "warning", "description": "Do not touch asbestos", "datatype": "string", "required": false,
            "variable": false, "order": 7}
         ]}
        """

    func headers(_ testDB: TestDatabase) async throws -> HTTPFields {
        try await bearer(testDB, role: .admin).merging([.contentType: "application/json"])
    }

    @Test func attributeDefinitionsRoundTrip() async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "west", tier: "district", wkt: nil)
            try await testDB.execute(
                "INSERT INTO destinations (council_id, name, kind) SELECT id, 'district-queue', 'pull' FROM councils WHERE slug = 'west'"
            )
            let auth = try await headers(testDB)
            let sent = try JSONSerialization.jsonObject(with: Data(Self.flyTipping.utf8)) as! [String: Any]
            let created = try await client.execute(
                uri: "/v1/councils/west/categories",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: Self.flyTipping)
            ) { response in
                #expect(response.status == .created)
                return response.json
            }
            let fetched = try await client.execute(uri: "/v1/councils/west/categories/fly_tipping", method: .get) { $0.json }
            for body in [created, fetched] {
                for key in ["code", "name", "description", "group", "destination"] {
                    #expect(body[key] as? String == sent[key] as? String, "\(key)")
                }
                #expect(body["keywords"] as? [String] == ["dumping", "waste"])
                #expect(body["photo_required"] as? Bool == true)
                #expect(body["anonymous_allowed"] as? Bool == false)
                #expect(body["contact_required"] as? Bool == true)
                #expect((body["council"] as? [String: Any])?["slug"] as? String == "west")
                let attributes = body["attributes"] as? [[String: Any]] ?? []
                let sentAttributes = sent["attributes"] as! [[String: Any]]
                #expect(attributes.count == sentAttributes.count)
                for (got, want) in zip(attributes, sentAttributes) {
                    #expect(got["code"] as? String == want["code"] as? String)
                    #expect(got["datatype"] as? String == want["datatype"] as? String)
                    #expect(got["required"] as? Bool == want["required"] as? Bool)
                    #expect(got["order"] as? Int == want["order"] as? Int)
                    #expect(got["variable"] as? Bool == (want["variable"] as? Bool ?? true))
                    #expect(got["description"] as? String == want["description"] as? String)
                    let values = (got["values"] as? [[String: String]]) ?? []
                    #expect(values == (want["values"] as? [[String: String]] ?? []))
                }
            }
        }
    }

    @Test func categoriesChangeAndRetireButStayReadable() async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "west", tier: "district", wkt: "POLYGON((0 0, 5 0, 5 10, 0 10, 0 0))")
            try await testDB.execute(
                "INSERT INTO destinations (council_id, name, kind) SELECT id, 'district-queue', 'pull' FROM councils WHERE slug = 'west'"
            )
            let auth = try await headers(testDB)
            try await client.execute(
                uri: "/v1/councils/west/categories",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: Self.flyTipping)
            ) { #expect($0.status == .created) }
            try await client.execute(
                uri: "/v1/councils/west/categories",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: Self.flyTipping)
            ) { response in
                #expect(response.status == .conflict)
                #expect(response.json["code"] as? String == "category_exists")
            }
            try await client.execute(
                uri: "/v1/councils/west/categories/fly_tipping",
                method: .patch,
                headers: auth,
                body: ByteBuffer(string: #"{"name": "Fly-tipping and dumped rubbish", "keywords": ["tipping"]}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.json["name"] as? String == "Fly-tipping and dumped rubbish")
                #expect(response.json["keywords"] as? [String] == ["tipping"])
                #expect((response.json["attributes"] as? [Any])?.count == 7, "absent fields are kept")
            }
            // null is not "keep": the contract has no nullable field, so it is refused, naming it.
            try await client.execute(
                uri: "/v1/councils/west/categories/fly_tipping",
                method: .patch,
                headers: auth,
                body: ByteBuffer(string: #"{"name": null, "keywords": ["tipping"], "group": null}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let pointers = (response.json["errors"] as? [[String: Any]])?.compactMap { $0["pointer"] as? String }
                #expect(pointers == ["/group", "/name"])
            }
            // In a create, null is not "the default" either.
            try await client.execute(
                uri: "/v1/councils/west/categories",
                method: .post,
                headers: auth,
                body: ByteBuffer(string: #"{"code": "graffiti", "name": "Graffiti", "destination": null}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let pointers = (response.json["errors"] as? [[String: Any]])?.compactMap { $0["pointer"] as? String }
                #expect(pointers == ["/destination"])
            }
            try await client.execute(uri: "/v1/services?lat=5&lon=2", method: .get) { response in
                #expect((response.json["services"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/v1/councils/west/categories/fly_tipping", method: .delete, headers: auth) {
                response in
                #expect(response.status == .ok)
                #expect(response.json["retired_at"] != nil)
            }
            try await client.execute(uri: "/v1/councils/west/categories", method: .get) { response in
                #expect((response.json["categories"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/councils/west/categories?include_retired=true", method: .get) { response in
                #expect((response.json["categories"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/v1/councils/west/categories/fly_tipping", method: .get) { response in
                #expect(response.status == .ok, "a retired category stays readable for old reports")
            }
            try await client.execute(uri: "/v1/services?lat=5&lon=2", method: .get) { response in
                #expect((response.json["services"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test(arguments: [
        (#"{"code": "Bad Code", "name": "X"}"#, "/code"),
        (#"{"code": "ok", "name": ""}"#, "/name"),
        (#"{"code": "ok", "name": "X", "attributes": [{"code": "a", "datatype": "singlevaluelist"}]}"#, "/attributes/0/values"),
        (
            #"{"code": "ok", "name": "X", "attributes": [{"code": "a", "datatype": "string", "values": [{"key": "k", "name": "n"}]}]}"#,
            "/attributes/0/values"
        ),
        (
            #"{"code": "ok", "name": "X", "attributes": [{"code": "a", "datatype": "string"}, {"code": "a", "datatype": "text"}]}"#,
            "/attributes/1/code"
        ),
        (#"{"code": "ok", "name": "X", "attributes": [{"code": "a", "datatype": "colour"}]}"#, "/attributes/0/datatype"),
        (#"{"code": "ok", "name": "X", "attributes": [{"code": "a", "datatype": "string", "order": 0}]}"#, "/attributes/0/order"),
        (
            #"{"code": "ok", "name": "X", "attributes": [{"code": "a", "datatype": "singlevaluelist", "values": [{"key": "k", "name": "1"}, {"key": "k", "name": "2"}]}]}"#,
            "/attributes/0/values/1/key"
        ),
    ])
    func badDefinitionsAre422AtTheField(body: String, pointer: String) async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "west", tier: "district", wkt: nil)
            try await client.execute(
                uri: "/v1/councils/west/categories",
                method: .post,
                headers: try await headers(testDB),
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.contains { $0["pointer"] as? String == pointer }, "\(response.text)")
            }
        }
    }
}
