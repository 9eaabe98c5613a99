import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// The map of the council's boundary and open cases.
extension ConsoleRoutes {
    /// The council's boundary and open cases as SVG, drawn by PostGIS (`ST_AsSVG`): no tiles,
    /// nothing fetched from elsewhere.
    func mapPage(_ request: Request) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let limit = 2000
        let map = try await councils.map(councilID: account.council.id, openCasesLimit: limit)
        let width = max(map.maxX - map.minX, 1e-6)
        let height = max(map.maxY - map.minY, 1e-6)
        let values: [String: Any] = [
            "council": account.council.name, "count": map.points.count, "limit": limit, "boundary": map.boundaryPath,
            "viewBox": "\(map.minX) \(map.minY) \(width) \(height)", "radius": max(width, height) / 150,
            "points": map.points.map { point -> [String: Any] in
                ["id": point.id.uuidString.lowercased(), "reference": point.reference, "category": point.category, "x": point.x, "y": point.y]
            },
        ]
        return page(
            title: "Map",
            content: ConsoleTemplates.render("map", values),
            error: false,
            status: .ok,
            account: account,
            csrf: Self.csrf(for: token)
        )
    }
}
