import IntakeCore

/// Why the intake service refused a report. Each surface says it in its own terms (a problem on
/// the REST API, an Open311 error on the facade).
public enum IntakeError: Error, Sendable, Equatable {
    /// Fields that break the category's rules (or photos that cannot be attached), by pointer.
    case invalid([FieldError])
    /// No council using the service covers the point.
    case outsideServiceArea(LatLon)
    /// Councils cover the point but none handles the category there.
    case categoryNotAvailableHere(String, available: [String])
    /// Open311: the jurisdiction asked for is not the council the point and service route to.
    case wrongJurisdiction(service: String, routedTo: String, asked: String)
}
