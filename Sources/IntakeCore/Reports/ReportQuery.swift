import Foundation

/// Filters and a page position for `GET /v1/reports`, parsed from query parameters.
public struct ReportQuery: Sendable, Equatable {
    public struct BoundingBox: Sendable, Equatable {
        public var minLon, minLat, maxLon, maxLat: Double
    }

    /// Where the previous page ended: newest first, so the next page is strictly older.
    /// Microseconds as PostgreSQL stores them, so a page boundary is exact.
    public struct Cursor: Sendable, Equatable {
        public var createdAtMicros: Int64
        public var id: UUID

        public init(createdAtMicros: Int64, id: UUID) {
            self.createdAtMicros = createdAtMicros
            self.id = id
        }

        /// Opaque to clients: base64url of "microseconds:uuid".
        public var token: String {
            Data("\(createdAtMicros):\(id.uuidString.lowercased())".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }

        public init?(token: String) {
            // base64url only, as the contract's pattern says (Foundation would also take + / =).
            let base64URL = token.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
            guard base64URL else { return nil }
            var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
            let parts = text.split(separator: ":")
            guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
            self.createdAtMicros = micros
            self.id = id
        }
    }

    public var councilSlug: String?
    public var categoryCode: String?
    public var statuses: [ReportStatus]?
    public var bbox: BoundingBox?
    public var since: Date?
    public var until: Date?
    public var limit: Int
    public var cursor: Cursor?
    /// Staff search (the console): text found in the description or the reference, any case.
    public var text: String?

    /// `text` as an ILIKE pattern: its own `%`, `_` and `\` taken literally.
    public var textPattern: String? {
        text.map {
            "%"
                + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
                    of: "_",
                    with: "\\_"
                ) + "%"
        }
    }

    public static let defaultLimit = 50
    public static let maxLimit = 200

    public static func parse(
        council: String?,
        category: String?,
        status: String?,
        bbox: [Double]?,
        since: String?,
        until: String?,
        limit: Int?,
        cursor: String?
    ) throws(ValidationFailure) -> ReportQuery {
        var errors: [FieldError] = []
        func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }

        // A value no council or category could have is refused rather than matching nothing,
        // as the contract's patterns say (and text PostgreSQL cannot hold never reaches it).
        if let council = nonEmpty(council), !NewCouncil.isValidSlug(council) {
            errors.append(FieldError(pointer: "/query/council", detail: "is not a council slug", code: "invalid_slug"))
        }
        if let category = nonEmpty(category), !CategoryDefinition.isValidCode(category) {
            errors.append(FieldError(pointer: "/query/category", detail: "is not a category code", code: "invalid_code"))
        }

        var statuses: [ReportStatus]?
        if let status = nonEmpty(status) {
            var chosen: [ReportStatus] = []
            // Spaces around a name are allowed, an empty name is not: as the contract's pattern says.
            for name in status.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: [" "]) }) {
                switch name {
                case "open": chosen += ReportStatus.allCases.filter(\.isOpen)
                case "closed": chosen += ReportStatus.allCases.filter { !$0.isOpen }
                default:
                    if let one = ReportStatus(rawValue: name) {
                        chosen.append(one)
                    } else {
                        errors.append(FieldError(pointer: "/query/status", detail: "'\(name)' is not a status", code: "invalid_status"))
                    }
                }
            }
            statuses = chosen
        }

        // The generated server has read four numbers or refused the request; what JSON Schema
        // cannot say (which are latitudes, and that each minimum is below its maximum) is checked here.
        var box: BoundingBox?
        if let numbers = bbox {
            if numbers.count == 4, numbers[0] < numbers[2], numbers[1] < numbers[3],
                (-180...180).contains(numbers[0]), (-180...180).contains(numbers[2]),
                (-90...90).contains(numbers[1]), (-90...90).contains(numbers[3])
            {
                box = BoundingBox(minLon: numbers[0], minLat: numbers[1], maxLon: numbers[2], maxLat: numbers[3])
            } else {
                errors.append(
                    FieldError(
                        pointer: "/query/bbox",
                        detail: "must be min_lon,min_lat,max_lon,max_lat in WGS84 degrees",
                        code: "invalid_bbox"
                    )
                )
            }
        }

        func date(_ text: String?, _ name: String) -> Date? {
            guard let text = nonEmpty(text) else { return nil }
            if let parsed = InternetDate.parse(text) { return parsed }
            errors.append(
                FieldError(
                    pointer: "/query/\(name)",
                    detail: "must be an RFC 3339 date-time such as 2026-11-28T09:30:00Z",
                    code: "invalid_datetime"
                )
            )
            return nil
        }
        let sinceDate = date(since, "since")
        let untilDate = date(until, "until")

        var pageSize = defaultLimit
        if let limit {
            if (1...maxLimit).contains(limit) {
                pageSize = limit
            } else {
                errors.append(FieldError(pointer: "/query/limit", detail: "must be a whole number from 1 to \(maxLimit)", code: "out_of_range"))
            }
        }

        var position: Cursor?
        if let cursor = nonEmpty(cursor) {
            position = Cursor(token: cursor)
            if position == nil {
                errors.append(FieldError(pointer: "/query/cursor", detail: "is not a cursor this service gave out", code: "invalid_cursor"))
            }
        }
        if !errors.isEmpty { throw .validation(errors) }
        return ReportQuery(
            councilSlug: nonEmpty(council),
            categoryCode: nonEmpty(category),
            statuses: statuses,
            bbox: box,
            since: sinceDate,
            until: untilDate,
            limit: pageSize,
            cursor: position
        )
    }
}
