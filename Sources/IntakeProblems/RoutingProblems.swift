import IntakeCore

/// The two ways routing can fail, as apps see them.
extension APIError {
    /// No council covers the point: the service does not operate there.
    public static func outsideServiceArea(_ point: LatLon) -> APIError {
        APIError(
            status: 422,
            code: "outside_service_area",
            title: "Outside the service area",
            detail: "No council using this service covers \(point.lat), \(point.lon).",
            fieldErrors: [FieldError(pointer: "/location", detail: "is outside every council's area", code: "outside_service_area")]
        )
    }

    /// Councils cover the point but none of them handles the category there.
    public static func categoryNotAvailableHere(_ code: String, available: [String]) -> APIError {
        var error = APIError(
            status: 422,
            code: "category_not_available_here",
            title: "Category not available here",
            detail: available.isEmpty
                ? "No category is available at this point."
                : "'\(code)' is not handled here. Available here: \(available.joined(separator: ", ")).",
            fieldErrors: [FieldError(pointer: "/category", detail: "is not handled at this point", code: "category_not_available_here")]
        )
        error.extensions["available"] = available
        return error
    }
}
