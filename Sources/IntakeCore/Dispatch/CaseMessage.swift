import Foundation

/// What a back office receives for each event of a case, by webhook body or pull payload
/// (`CaseMessage` in the OpenAPI document). The event is fixed when it happens; `case` is the
/// case as it stands when the message is delivered, so a late retry never carries stale data.
public struct CaseMessage: Codable, Sendable, Equatable {
    public struct Category: Codable, Sendable, Equatable {
        public var code: String
        public var name: String
    }

    public struct Location: Codable, Sendable, Equatable {
        public var lat: Double
        public var lon: Double
    }

    public struct Photo: Codable, Sendable, Equatable {
        public var id: String
        public var url: String
    }

    public struct Case: Codable, Sendable, Equatable {
        public var id: String
        public var reference: String
        public var category: Category
        public var status: String
        public var open: Bool
        public var location: Location
        public var address: String?
        public var description: String
        public var attributes: [String: AttributeAnswer]
        /// The council needs these to answer the reporter; nil once erased or when none given.
        public var reporter: ReporterContact?
        public var anonymous: Bool
        public var photos: [Photo]
        /// Photos the sending system hosts (Open311 `media_url`), as links.
        public var mediaURLs: [String]
        public var externalReference: String?
        public var expectedAt: Date?
        public var createdAt: Date
        public var updatedAt: Date
        public var closedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, reference, category, status, open, location, address, description, attributes, reporter, anonymous, photos
            case mediaURLs = "media_urls"
            case externalReference = "external_reference"
            case expectedAt = "expected_at"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
            case closedAt = "closed_at"
        }
    }

    public struct Event: Codable, Sendable, Equatable {
        public var id: Int64
        public var kind: String
        public var status: String?
        public var publicNote: String?
        public var photo: Photo?
        public var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case id, kind, status, photo
            case publicNote = "public_note"
            case createdAt = "created_at"
        }
    }

    /// The same across retries and redeliveries: the receiver's deduplication key.
    public var messageID: String
    /// `case.created`, `case.updated` or `case.comment`.
    public var type: String
    /// When the event happened.
    public var timestamp: Date
    public var council: String
    public var `case`: Case
    public var event: Event

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case type, timestamp, council, `case`, event
    }

    /// `baseURL` is the public address of this service, used for photo links.
    public init(messageID: UUID, type: String, report: Report, event: TimelineEvent, baseURL: String) {
        // Identifiers in lower case, as everywhere else in the API.
        func photo(_ id: UUID) -> Photo {
            let text = id.uuidString.lowercased()
            return Photo(id: text, url: "\(baseURL)/v1/media/\(text)")
        }
        self.messageID = messageID.uuidString.lowercased()
        self.type = type
        self.timestamp = event.createdAt
        self.council = report.council.slug
        self.case = Case(
            id: report.id.uuidString.lowercased(),
            reference: report.reference,
            category: Category(code: report.category.code, name: report.category.name),
            status: report.status.rawValue,
            open: report.status.isOpen,
            location: Location(lat: report.location.lat, lon: report.location.lon),
            address: report.address,
            description: report.description,
            attributes: report.attributes,
            reporter: report.reporter,
            anonymous: report.anonymous,
            photos: report.photoIDs.map(photo),
            mediaURLs: report.mediaURLs,
            externalReference: report.externalReference,
            expectedAt: report.expectedAt,
            createdAt: report.createdAt,
            updatedAt: report.updatedAt,
            closedAt: report.closedAt
        )
        self.event = Event(
            id: event.id,
            kind: event.kind.rawValue,
            status: event.status?.rawValue,
            publicNote: event.publicNote,
            photo: event.photoID.map(photo),
            createdAt: event.createdAt
        )
    }

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
