import Foundation

/// A follower's or a neighbour's alert (FixMyStreet's): updates to one report, new reports near
/// a point, or new reports in a council (optionally one category), by email through the
/// council's GOV.UK Notify or as signed webhooks, at once or as a daily digest. It is pending
/// until the link sent to its address is opened (double opt-in).
public struct AlertSubscription: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case report, area, council
    }

    public enum Frequency: String, Sendable, CaseIterable {
        case immediate, daily
    }

    public enum State: String, Sendable {
        case pending, active, unsubscribed
    }

    public enum Target: Sendable, Equatable {
        case report(id: UUID, reference: String)
        case area(LatLon, radiusMetres: Int)
        case council(CouncilRef, categoryCode: String?, categoryName: String?)
    }

    public var id: UUID
    public var target: Target
    public var email: String?
    public var webhookURL: String?
    public var frequency: Frequency
    public var state: State
    public var createdAt: Date
    public var confirmedAt: Date?

    public init(
        id: UUID,
        target: Target,
        email: String?,
        webhookURL: String?,
        frequency: Frequency,
        state: State,
        createdAt: Date,
        confirmedAt: Date?
    ) {
        self.id = id
        self.target = target
        self.email = email
        self.webhookURL = webhookURL
        self.frequency = frequency
        self.state = state
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
    }

    public var kind: Kind {
        switch target {
        case .report: .report
        case .area: .area
        case .council: .council
        }
    }

    /// What the subscription follows, as a message says it.
    public func describe() -> String {
        switch target {
        case .report(_, let reference): "updates to report \(reference)"
        case .area(let point, let radius):
            "new reports within \(radius) metres of \(String(format: "%.5f", point.lat)), \(String(format: "%.5f", point.lon))"
        case .council(let council, _, let categoryName):
            categoryName.map { "new \($0) reports to \(council.name)" } ?? "new reports to \(council.name)"
        }
    }

    public static let radiusRange = 100...5000
}

/// `POST /v1/alerts` as asked, before it is checked against the councils and reports it names.
public struct NewAlert: Sendable, Equatable {
    public var kind: AlertSubscription.Kind
    public var reportID: UUID?
    public var lat: Double?
    public var lon: Double?
    public var radiusMetres: Int?
    public var council: String?
    public var category: String?
    public var email: String?
    public var webhookURL: String?
    public var frequency: AlertSubscription.Frequency

    public init(
        kind: AlertSubscription.Kind,
        reportID: UUID?,
        lat: Double?,
        lon: Double?,
        radiusMetres: Int?,
        council: String?,
        category: String?,
        email: String?,
        webhookURL: String?,
        frequency: AlertSubscription.Frequency
    ) {
        self.kind = kind
        self.reportID = reportID
        self.lat = lat
        self.lon = lon
        self.radiusMetres = radiusMetres
        self.council = council
        self.category = category
        self.email = email
        self.webhookURL = webhookURL
        self.frequency = frequency
    }

    /// The fields each kind needs and refuses, the radius, and one address: an email or a
    /// webhook URL (https, unless `allowHTTP`), never both.
    public func validate(allowHTTP: Bool) throws(ValidationFailure) {
        var errors: [FieldError] = []
        func required(_ value: Any?, _ pointer: String) {
            if value == nil {
                errors.append(FieldError(pointer: pointer, detail: "is required for a \(kind.rawValue) alert", code: "required"))
            }
        }
        func refused(_ value: Any?, _ pointer: String) {
            if value != nil {
                errors.append(FieldError(pointer: pointer, detail: "is not used by a \(kind.rawValue) alert", code: "not_allowed"))
            }
        }
        switch kind {
        case .report:
            required(reportID, "/report_id")
            [("/lat", lat as Any?), ("/lon", lon), ("/radius_metres", radiusMetres), ("/council", council), ("/category", category)]
                .forEach { refused($0.1, $0.0) }
        case .area:
            required(lat, "/lat")
            required(lon, "/lon")
            required(radiusMetres, "/radius_metres")
            [("/report_id", reportID as Any?), ("/council", council), ("/category", category)].forEach { refused($0.1, $0.0) }
            if let lat, !(-90...90).contains(lat) {
                errors.append(FieldError(pointer: "/lat", detail: "must be between -90 and 90", code: "out_of_range"))
            }
            if let lon, !(-180...180).contains(lon) {
                errors.append(FieldError(pointer: "/lon", detail: "must be between -180 and 180", code: "out_of_range"))
            }
            if let radiusMetres, !AlertSubscription.radiusRange.contains(radiusMetres) {
                errors.append(FieldError(pointer: "/radius_metres", detail: "must be 100–5000 metres", code: "out_of_range"))
            }
        case .council:
            required(council, "/council")
            [("/report_id", reportID as Any?), ("/lat", lat), ("/lon", lon), ("/radius_metres", radiusMetres)].forEach { refused($0.1, $0.0) }
        }
        switch (email, webhookURL) {
        case (nil, nil):
            errors.append(FieldError(pointer: "/email", detail: "give an email address or a webhook_url", code: "required"))
        case (.some, .some):
            errors.append(FieldError(pointer: "/webhook_url", detail: "give an email address or a webhook_url, not both", code: "not_allowed"))
        case (.some(let email), nil):
            if !TextRules.looksLikeEmail(email) {
                errors.append(FieldError(pointer: "/email", detail: "is not an email address", code: "invalid_email"))
            }
        case (nil, .some(let url)):
            if let problem = DestinationDefinition.urlProblem(url, allowHTTP: allowHTTP) {
                errors.append(FieldError(pointer: "/webhook_url", detail: problem, code: "invalid_url"))
            }
        }
        if !errors.isEmpty { throw .validation(errors) }
    }

    /// Same kind, target, frequency-independent address: the second request for one alert finds
    /// the first instead of making another.
    public func fingerprint(senderCouncilID: UUID) -> String {
        let address = email.map { "email:" + $0.lowercased() } ?? "webhook:" + (webhookURL ?? "")
        let target: String
        switch kind {
        case .report: target = "report:\(reportID?.uuidString.lowercased() ?? "")"
        case .area: target = "area:\(lat ?? 0),\(lon ?? 0),\(radiusMetres ?? 0)"
        case .council: target = "council:\(council ?? ""):\(category ?? "")"
        }
        return Secrets.sha256(target + "|" + address + "|" + senderCouncilID.uuidString.lowercased()).map { String(format: "%02x", $0) }.joined()
    }
}
