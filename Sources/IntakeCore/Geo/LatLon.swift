/// A WGS84 position.
public struct LatLon: Sendable, Equatable {
    public var lat: Double
    public var lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }

    /// A position from query parameters the generated server has already read as numbers,
    /// naming whichever is out of range.
    public static func checked(lat: Double, lon: Double) throws(ValidationFailure) -> LatLon {
        var errors: [FieldError] = []
        if !(-90...90).contains(lat) || !lat.isFinite {
            errors.append(FieldError(pointer: "/query/lat", detail: "must be from -90 to 90", code: "out_of_range"))
        }
        if !(-180...180).contains(lon) || !lon.isFinite {
            errors.append(FieldError(pointer: "/query/lon", detail: "must be from -180 to 180", code: "out_of_range"))
        }
        guard errors.isEmpty else { throw .validation(errors) }
        return LatLon(lat: lat, lon: lon)
    }

    public static func check(lat: Double, lon: Double, pointerPrefix: String) -> [FieldError] {
        var errors: [FieldError] = []
        if !(-90...90).contains(lat) || !lat.isFinite {
            errors.append(FieldError(pointer: "\(pointerPrefix)/lat", detail: "must be a latitude from -90 to 90", code: "out_of_range"))
        }
        if !(-180...180).contains(lon) || !lon.isFinite {
            errors.append(FieldError(pointer: "\(pointerPrefix)/lon", detail: "must be a longitude from -180 to 180", code: "out_of_range"))
        }
        return errors
    }
}
