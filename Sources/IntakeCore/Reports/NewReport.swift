import Foundation

/// Where a report is, as the app sent it.
public enum ReportPosition: Sendable, Equatable {
    case wgs84(LatLon)
    /// British National Grid (EPSG:27700) metres; PostGIS converts it.
    case britishNationalGrid(easting: Double, northing: Double)
}

/// One answer to a category attribute, by JSON shape.
public enum AttributeAnswer: Sendable, Equatable, Codable {
    case text(String)
    case number(Double)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Order matters: JSON true must not pass as a number, nor 1 as a string.
        if (try? container.decode(Bool.self)) != nil {
            throw DecodingError.typeMismatch(
                Bool.self,
                .init(codingPath: decoder.codingPath, debugDescription: "booleans are not attribute answers")
            )
        }
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let list = try? container.decode([String].self) {
            self = .list(list)
        } else {
            throw DecodingError.typeMismatch(
                String.self,
                .init(codingPath: decoder.codingPath, debugDescription: "not a string, number or list")
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        case .list(let list): try container.encode(list)
        }
    }
}

public struct ReporterContact: Sendable, Equatable, Codable {
    public var name: String?
    public var email: String?
    public var phone: String?

    public init(name: String? = nil, email: String? = nil, phone: String? = nil) {
        func clean(_ text: String?) -> String? {
            guard let trimmed = text.map(Self.trimmed), !trimmed.isEmpty else { return nil }
            return trimmed
        }
        self.name = clean(name)
        self.email = clean(email)
        self.phone = clean(phone)
    }

    public var isEmpty: Bool { name == nil && email == nil && phone == nil }

    /// Without white space or line breaks at either end: Unicode's White_Space and the zero-width
    /// space, the set Foundation's `.whitespacesAndNewlines` holds on Linux. Every report read
    /// builds a contact, so text that needs nothing (nearly all of it) is returned at once.
    static func trimmed(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) {
            return text
        }
        let scalars = text.unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace || scalar.value == 0x200B }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }), let end = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[start...end])
    }
}

/// A report as a citizen's app submits it, before routing.
public struct NewReport: Sendable, Equatable {
    public var categoryCode: String
    public var position: ReportPosition
    public var description: String
    public var address: String?
    public var attributes: [String: AttributeAnswer]
    public var reporter: ReporterContact?
    public var anonymous: Bool
    public var photoIDs: [UUID]
    /// Photos the sender hosts (Open311 `media_url`): kept as links.
    public var mediaURLs: [String] = []
    /// Where the report came from. Open311 senders attach attributes of their own (FixMyStreet's
    /// `fixmystreet_id`…), send every answer as text, and have no anonymity flag: their reports
    /// keep unknown answers aside instead of refusing them, have text answers read by the
    /// question's type, and hide the reporter's name unless the category requires it.
    public var source: Source = .api
    public enum Source: Sendable, Equatable { case api, open311 }
    /// The reporter's choice (`notify: false`): no email or text about this report. The default
    /// tells them, when they gave an address and the council sends messages.
    public var notify: Bool = true
    /// Open311 `account_id` and `device_id`.
    public var accountID: String?
    public var deviceID: String?

    public init(
        categoryCode: String,
        position: ReportPosition,
        description: String,
        address: String?,
        attributes: [String: AttributeAnswer],
        reporter: ReporterContact?,
        anonymous: Bool,
        photoIDs: [UUID]
    ) {
        self.categoryCode = categoryCode
        self.position = position
        self.description = description
        self.address = address
        self.attributes = attributes
        self.reporter = reporter
        self.anonymous = anonymous
        self.photoIDs = photoIDs
    }
}
