import Foundation

/// A stored report, with everything the council may see. Views for other audiences are cut
/// from it by `ReportView`.
public struct Report: Sendable, Equatable {
    public struct CategoryRef: Sendable, Equatable {
        public var code: String
        public var name: String

        public init(code: String, name: String) {
            self.code = code
            self.name = name
        }
    }

    public var id: UUID
    public var reference: String
    public var council: CouncilRef
    public var category: CategoryRef
    public var status: ReportStatus
    public var location: LatLon
    public var address: String?
    public var description: String
    public var attributes: [String: AttributeAnswer]
    public var photoIDs: [UUID]
    /// nil once erased.
    public var reporter: ReporterContact?
    public var anonymous: Bool
    public var externalReference: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var closedAt: Date?
    /// When the council expects to have dealt with it (set with a status update).
    public var expectedAt: Date?
    /// Photos the sending system holds itself (Open311 `media_url`), kept as links.
    public var mediaURLs: [String] = []

    public init(
        id: UUID,
        reference: String,
        council: CouncilRef,
        category: CategoryRef,
        status: ReportStatus,
        location: LatLon,
        address: String?,
        description: String,
        attributes: [String: AttributeAnswer],
        photoIDs: [UUID],
        reporter: ReporterContact?,
        anonymous: Bool,
        externalReference: String?,
        createdAt: Date,
        updatedAt: Date,
        closedAt: Date?,
        expectedAt: Date? = nil,
        mediaURLs: [String] = []
    ) {
        self.mediaURLs = mediaURLs
        self.id = id
        self.reference = reference
        self.council = council
        self.category = category
        self.status = status
        self.location = location
        self.address = address
        self.description = description
        self.attributes = attributes
        self.photoIDs = photoIDs
        self.reporter = reporter
        self.anonymous = anonymous
        self.externalReference = externalReference
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.closedAt = closedAt
        self.expectedAt = expectedAt
    }

    /// The name shown on the public record, if any.
    public var publicReporterName: String? { anonymous ? nil : reporter?.name }
}

/// Who is looking at a report decides what they see.
public enum ReportAudience: Sendable, Equatable {
    /// Anyone: no contact details; a name only when the reporter allowed it.
    case publicView
    /// The reporter, holding the tracking token: their own details too.
    case reporter
    /// The council it was routed to (or an admin): everything, internal notes included.
    case council
}

/// One entry of a report's append-only timeline.
public struct TimelineEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case created, routed, dispatched, acknowledged
        case statusChanged = "status_changed"
        case comment
        case photoAdded = "photo_added"
    }

    public enum Actor: String, Sendable {
        case reporter, council, system
    }

    public var id: Int64
    public var kind: Kind
    public var status: ReportStatus?
    public var publicNote: String?
    public var internalNote: String?
    public var actor: Actor
    public var createdAt: Date
    /// With `photoAdded`.
    public var photoID: UUID?

    public init(
        id: Int64,
        kind: Kind,
        status: ReportStatus?,
        publicNote: String?,
        internalNote: String?,
        actor: Actor,
        createdAt: Date,
        photoID: UUID? = nil
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.publicNote = publicNote
        self.internalNote = internalNote
        self.actor = actor
        self.createdAt = createdAt
        self.photoID = photoID
    }
}

/// The reporter's secret for follow-ups: `tt_` and 40 hex digits, stored as SHA-256 only.
public struct TrackingToken: Sendable, Equatable {
    public var text: String

    public static func generate() -> TrackingToken { TrackingToken(text: "tt_" + Secrets.randomHex(bytes: 20)) }

    public init(text: String) { self.text = text }

    public var hash: [UInt8] { Secrets.sha256(text) }
}
