import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// `PUT /v1/councils/{slug}/boundary`: GeoJSON in, checked by PostGIS.
@Suite struct BoundaryTests {
    func put(
        _ client: any TestClientProtocol,
        _ testDB: TestDatabase,
        _ geojson: String
    ) async throws
        -> (HTTPResponse.Status, [String: Any])
    {
        let headers = try await bearer(testDB, role: .admin).merging([.contentType: "application/geo+json"])
        return try await client.execute(
            uri: "/v1/councils/shire/boundary",
            method: .put,
            headers: headers,
            body: ByteBuffer(string: geojson)
        ) { ($0.status, $0.json) }
    }

    @Test func aValidPolygonBecomesTheBoundaryWithBoxAndInsidePoint() async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "shire", tier: "county", wkt: nil)
            // An L shape: its centroid lies outside it, the representative point must not.
            let (status, body) = try await put(
                client,
                testDB,
                #"{"type": "Polygon", "coordinates": [[[0,0],[4,0],[4,1],[1,1],[1,4],[0,4],[0,0]]]}"#
            )
            #expect(status == .ok)
            #expect(body["vertices"] as? Int == 7)
            #expect((body["warnings"] as? [String])?.isEmpty == true)
            let council = body["council"] as? [String: Any] ?? [:]
            #expect(council["has_boundary"] as? Bool == true)
            let bbox = council["bbox"] as? [String: Double] ?? [:]
            #expect(bbox == ["min_lat": 0, "min_lon": 0, "max_lat": 4, "max_lon": 4])
            let point = council["representative_point"] as? [String: Double] ?? [:]
            let (lat, lon) = (point["lat"] ?? -1, point["lon"] ?? -1)
            #expect((lat <= 1 && lon <= 4) || (lon <= 1 && lat <= 4), "inside the L: \(point)")

            try await client.execute(uri: "/v1/services?lat=0.5&lon=3", method: .get) { response in
                // Covered now (no categories yet, so nothing offered, but not outside the area).
                #expect(response.status == .ok)
            }
        }
    }

    @Test func clockwiseRingsAreRewoundAndReported() async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "shire", tier: "county", wkt: nil)
            let (status, body) = try await put(
                client,
                testDB,
                #"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[0,2],[2,2],[2,0],[0,0]]]}}"#
            )
            #expect(status == .ok)
            #expect((body["warnings"] as? [String])?.first?.contains("clockwise") == true)
        }
    }

    @Test(arguments: [
        (#"{"type": "Polygon", "coordinates": [[[0,0],[2,2],[2,0],[0,2],[0,0]]]}"#, "Self-intersection"),
        (#"{"type": "Polygon", "coordinates": []}"#, "empty"),
        (#"{"type": "LineString", "coordinates": [[0,0],[1,1]]}"#, "Polygon or MultiPolygon"),
        (#"{"type": "Polygon", "coordinates": [[[400000,300000],[401000,300000],[401000,301000],[400000,300000]]]}"#, "British National Grid"),
        (#"{"type": "FeatureCollection", "features": []}"#, "intake councils import"),
        (#"{"type": "Polygon", "coordinates": "nonsense"}"#, "GeoJSON"),
    ])
    func brokenGeometryIsRefusedWithTheReason(geojson: String, reason: String) async throws {
        try await withApp { client, testDB in
            try await Fixtures.council(testDB, "shire", tier: "county", wkt: "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))")
            let (status, body) = try await put(client, testDB, geojson)
            #expect(status == .unprocessableContent)
            #expect(body["code"] as? String == "invalid_boundary")
            #expect((body["detail"] as? String)?.contains(reason) == true, "\(body)")
            // The old boundary is untouched.
            try await client.execute(uri: "/v1/councils/shire", method: .get) { response in
                #expect((response.json["bbox"] as? [String: Double])?["max_lat"] == 1)
            }
        }
    }
}
