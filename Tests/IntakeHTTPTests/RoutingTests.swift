import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeTestSupport
import Testing

/// `GET /v1/services`: which council handles what at a point.
@Suite struct RoutingTests {
    func services(
        _ client: any TestClientProtocol,
        lat: Double,
        lon: Double,
        category: String? = nil
    ) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        let query = "lat=\(lat)&lon=\(lon)" + (category.map { "&category=\($0)" } ?? "")
        return try await client.execute(uri: "/v1/services?\(query)", method: .get) { ($0.status, $0.json) }
    }

    func handlers(_ body: [String: Any]) -> [String: String] {
        let services = body["services"] as? [[String: Any]] ?? []
        return Dictionary(
            uniqueKeysWithValues: services.map {
                ($0["code"] as? String ?? "", ($0["council"] as? [String: Any])?["slug"] as? String ?? "")
            }
        )
    }

    @Test func twoTierAreasSendEachCategoryToTheCouncilThatHandlesIt() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            let (status, body) = try await services(client, lat: 5, lon: 2)
            #expect(status == .ok)
            #expect(handlers(body) == ["fly_tipping": "west", "pothole": "shire"])
            let councils = (body["councils"] as? [[String: Any]] ?? []).compactMap { $0["slug"] as? String }
            #expect(councils == ["west", "shire"], "most local first")
        }
    }

    @Test func aPointOnASharedBorderResolvesTheSameWayEveryTime() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            var seen = Set<String>()
            for _ in 0..<5 {
                let (status, body) = try await services(client, lat: 5, lon: 5)
                #expect(status == .ok)
                seen.insert(handlers(body)["fly_tipping"] ?? "")
            }
            // Both districts cover the border; equal tier and area, so the slug decides.
            #expect(seen == ["east"])
        }
    }

    @Test func aHoleIsOutsideItsCouncil() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            let (inHole, body) = try await services(client, lat: 5, lon: 25)
            #expect(inHole == .unprocessableContent)
            #expect(body["code"] as? String == "outside_service_area")
            let (aroundHole, around) = try await services(client, lat: 5, lon: 22)
            #expect(aroundHole == .ok)
            #expect(handlers(around) == ["fly_tipping": "ring", "pothole": "ring"])
        }
    }

    @Test func everyIslandOfAMultipolygonBelongsToItsCouncil() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            #expect(handlers(try await services(client, lat: 1, lon: 41).1) == ["graffiti": "isles"])
            #expect(handlers(try await services(client, lat: 1, lon: 46).1) == ["graffiti": "isles"])
            let (between, body) = try await services(client, lat: 1, lon: 43.5)
            #expect(between == .unprocessableContent)
            #expect(body["code"] as? String == "outside_service_area")
        }
    }

    @Test func aCategoryNobodyHandlesHereNamesTheOnesThatAre() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            // West's graffiti category is retired, so nobody at this point handles it.
            let (status, body) = try await services(client, lat: 5, lon: 2, category: "graffiti")
            #expect(status == .unprocessableContent)
            #expect(body["code"] as? String == "category_not_available_here")
            #expect(body["available"] as? [String] == ["fly_tipping", "pothole"])
            let (ok, one) = try await services(client, lat: 5, lon: 2, category: "pothole")
            #expect(ok == .ok)
            #expect(handlers(one) == ["pothole": "shire"])
        }
    }

    @Test func retiredCategoriesAreNotOffered() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            let (_, body) = try await services(client, lat: 5, lon: 8)
            #expect(handlers(body)["fly_tipping_county"] == nil)
            #expect(handlers(body)["fly_tipping"] == "east")
        }
    }

    @Test func farAwayPointsAreOutsideTheServiceArea() async throws {
        try await withApp { client, testDB in
            try await Fixtures.map(testDB)
            let (status, body) = try await services(client, lat: 51.5, lon: -100)
            #expect(status == .unprocessableContent)
            #expect(body["code"] as? String == "outside_service_area")
        }
    }

    @Test(arguments: [
        ("lat=abc&lon=1", "/query/lat", "must be a number in decimal degrees"),
        ("lat=95&lon=1", "/query/lat", "must be from -90 to 90"),
        ("lat=1&lon=181", "/query/lon", "must be from -180 to 180"),
        ("lat=&lon=1", "/query/lat", "is required"),
    ])
    func badCoordinatesAre422NamingTheParameter(query: String, pointer: String, detail: String) async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/services?\(query)", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["pointer"] as? String == pointer)
                #expect(errors.first?["detail"] as? String == detail)
            }
        }
    }

    @Test func aMissingParameterIs422NamingIt() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/services?lat=1", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["pointer"] as? String == "/query/lon")
                #expect(errors.first?["detail"] as? String == "is required")
            }
        }
    }
}
