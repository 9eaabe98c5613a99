/// A WGS84 position.
public struct LatLon: Sendable, Equatable {
    public var lat: Double
    public var lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }

    /// Parses decimal degrees given as text (query parameters), naming the bad field.
    public static func parse(lat: String?, lon: String?, pointerPrefix: String = "/query") throws(APIError) -> LatLon {
        var errors: [FieldError] = []
        let latitude = Self.degrees(lat, name: "lat", range: -90...90, pointerPrefix: pointerPrefix, errors: &errors)
        let longitude = Self.degrees(lon, name: "lon", range: -180...180, pointerPrefix: pointerPrefix, errors: &errors)
        guard let latitude, let longitude, errors.isEmpty else { throw .validation(errors) }
        return LatLon(lat: latitude, lon: longitude)
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

    private static func degrees(
        _ text: String?, name: String, range: ClosedRange<Double>, pointerPrefix: String, errors: inout [FieldError]
    ) -> Double? {
        let pointer = "\(pointerPrefix)/\(name)"
        guard let text, !text.isEmpty else {
            errors.append(FieldError(pointer: pointer, detail: "is required", code: "required"))
            return nil
        }
        guard let value = Double(text), value.isFinite else {
            errors.append(FieldError(pointer: pointer, detail: "must be a number in decimal degrees", code: "wrong_type"))
            return nil
        }
        guard range.contains(value) else {
            errors.append(
                FieldError(
                    pointer: pointer,
                    detail: "must be from \(Int(range.lowerBound)) to \(Int(range.upperBound))", code: "out_of_range"))
            return nil
        }
        return value
    }
}
