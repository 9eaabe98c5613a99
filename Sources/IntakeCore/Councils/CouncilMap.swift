import Foundation

/// A council drawn for the console's map, in SVG user units: x is longitude and y is minus
/// latitude (SVG's y grows downwards), as PostGIS's `ST_AsSVG` writes them.
public struct CouncilMap: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var id: UUID
        public var reference: String
        public var category: String
        public var x: Double
        public var y: Double

        public init(id: UUID, reference: String, category: String, x: Double, y: Double) {
            self.id = id
            self.reference = reference
            self.category = category
            self.x = x
            self.y = y
        }
    }

    /// The boundary as an SVG path (empty when the council has none yet).
    public var boundaryPath: String
    public var minX: Double
    public var minY: Double
    public var maxX: Double
    public var maxY: Double
    public var points: [Point]

    public init(boundaryPath: String, minX: Double, minY: Double, maxX: Double, maxY: Double, points: [Point]) {
        self.boundaryPath = boundaryPath
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
        self.points = points
    }
}
